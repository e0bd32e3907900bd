//! `messenger-gen generate` and `messenger-gen check`.

use crate::cli::GenerateArgs;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes;
use crate::output;
use crate::pipeline;
use crate::write::{self, FileMap};

/// `generate`: writes the whole output directory, or nothing.
pub async fn generate(args: GenerateArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    // Refused before any work: an output that is a file or overlaps the inputs.
    write::check_output(&config)?;
    let generated = generated(&args, &config, true).await?;
    write::write_all(&config.output, &generated.files)?;
    output::line(&format!(
        "wrote {} files to {}",
        generated.files.len(),
        config.output.display()
    ))?;
    Ok(exit_codes::OK)
}

/// `check`: exit 0 when the output directory is exactly what `generate` would write, else 1
/// with a unified diff.
pub async fn check(args: GenerateArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    write::check_output(&config)?;
    let generated = generated(&args, &config, false).await?;
    let current = FileMap::read_dir(&config.output)?;
    match write::diff(&current, &generated.files, &config.output) {
        None => {
            output::line(&format!("{} is up to date", config.output.display()))?;
            Ok(exit_codes::OK)
        }
        Some(diff) => {
            output::out(&diff)?;
            output::stderr(&format!(
                "error: {} is stale; run `messenger-gen generate` and commit the result\n",
                config.output.display()
            ));
            Ok(exit_codes::DIFFERENCE)
        }
    }
}

async fn generated(
    args: &GenerateArgs,
    config: &Config,
    writes: bool,
) -> Result<pipeline::Generated, Error> {
    let generated = pipeline::generate(config, args.database_url.as_deref()).await?;
    for warning in &generated.warnings {
        output::stderr(&format!("{warning}\n"));
    }
    if args.deny_warnings && !generated.warnings.is_empty() {
        return Err(Error::DeniedWarnings {
            count: generated.warnings.len(),
            wrote_nothing: writes,
        });
    }
    Ok(generated)
}
