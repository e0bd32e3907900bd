//! `messenger-gen generate` and `messenger-gen check`.

use crate::cli::GenerateArgs;
use crate::config::Config;
use crate::exit_codes;
use crate::failure::Failure;
use crate::pipeline;
use crate::write::{self, FileMap};

/// `generate`: writes the whole output directory, or nothing.
pub async fn generate(args: GenerateArgs) -> Result<u8, Failure> {
    let config = Config::load(args.config.as_deref())?;
    let generated = generated(&args, &config).await?;
    write::write_all(&config.output, &generated.files)
        .map_err(|e| Failure::input(format!("cannot write {}: {e}", config.output.display())))?;
    println!(
        "wrote {} files to {}",
        generated.files.len(),
        config.output.display()
    );
    Ok(exit_codes::OK)
}

/// `check`: exit 0 when the output directory is exactly what `generate` would write, else 1
/// with a unified diff.
pub async fn check(args: GenerateArgs) -> Result<u8, Failure> {
    let config = Config::load(args.config.as_deref())?;
    let generated = generated(&args, &config).await?;
    let current = FileMap::read_dir(&config.output)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", config.output.display())))?;
    match write::diff(&current, &generated.files, &config.output) {
        None => {
            println!("{} is up to date", config.output.display());
            Ok(exit_codes::OK)
        }
        Some(diff) => {
            print!("{diff}");
            eprintln!(
                "error: {} is stale; run `messenger-gen generate` and commit the result",
                config.output.display()
            );
            Ok(exit_codes::DIFFERENCE)
        }
    }
}

async fn generated(args: &GenerateArgs, config: &Config) -> Result<pipeline::Generated, Failure> {
    let generated = pipeline::generate(config, args.database_url.as_deref()).await?;
    for warning in &generated.warnings {
        eprintln!("{warning}");
    }
    if args.deny_warnings && !generated.warnings.is_empty() {
        return Err(Failure::input(format!(
            "{} warning(s) and --deny-warnings: nothing written",
            generated.warnings.len()
        )));
    }
    Ok(generated)
}
