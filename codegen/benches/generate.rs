//! `messenger-gen generate` wall time against cornucopia's own generation, in the same run.
//!
//! Run: `cargo bench -p messenger-gen --bench generate` (needs PostgreSQL at DATABASE_URL,
//! default postgres://postgres@127.0.0.1:5432/postgres, and the local server binaries for the
//! throw-away cluster figure). Prints a Markdown table for BENCHMARKS.md.
//!
//! - ours: the whole pipeline (scratch database, migrations, cornucopia, lint, introspection,
//!   every emitter), returning the files.
//! - cornucopia: `cornucopia::gen_fresh` — cornucopia's own "create a database, load the
//!   schema, prepare the queries, generate, drop the database" on the same server and inputs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use messenger_gen::config::Config;
use messenger_gen::pipeline;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `n` queries over the messenger tables, ten per file, with parameters and a nullable column.
fn synthetic_queries(n: usize, dir: &Path) {
    for file in 0..n.div_ceil(10) {
        let mut sql = String::new();
        for i in file * 10..((file + 1) * 10).min(n) {
            sql.push_str(&format!(
                "--! q{i} : (locked_by?, last_error?)\n--- Synthetic query {i}.\n\
                 SELECT id, transport_name, queue_name, priority, locked_by, last_error, created_at\n\
                 FROM messenger_messages WHERE transport_name = :transport::text AND id > :after::bigint + {i}\n\
                 ORDER BY id LIMIT :lim::bigint;\n\n"
            ));
        }
        std::fs::write(dir.join(format!("synthetic_{file:03}.sql")), sql).unwrap();
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    f(); // warm-up: file cache, server catalog cache
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn ours(config: &Config, url: Option<&str>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let generated = runtime
        .block_on(pipeline::generate(config, url))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!generated.files.is_empty());
}

fn cornucopia(config: &Config, url: &str, out: &Path, counter: &mut u32) {
    *counter += 1;
    let mut schema_files: Vec<PathBuf> = std::fs::read_dir(&config.schema)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    schema_files.sort();
    let settings = cornucopia::config::Config::builder()
        .queries(config.queries.clone())
        .destination(out.join(format!("c{counter}")))
        .name("bench-queries")
        .r#async(true)
        .sync(false)
        .build();
    let db = format!("cornucopia_bench_{}_{counter}", std::process::id());
    // gen_fresh appends `/<db>` to the URL itself, so it wants the server without a database.
    let authority_end = url
        .find("://")
        .and_then(|scheme| url[scheme + 3..].find('/').map(|i| scheme + 3 + i))
        .unwrap_or(url.len());
    cornucopia::gen_fresh(
        &url[..authority_end],
        &db,
        &schema_files,
        None,
        false,
        settings,
    )
    .unwrap_or_else(|e| panic!("{}", e.report()));
}

fn main() {
    let url = server_url();
    let scratch = tempfile::tempdir().unwrap();
    let mut counter = 0;
    println!("| inputs | queries | ours (median) | cornucopia gen_fresh (median) | ratio |");
    println!("|---|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    let cases: Vec<(String, PathBuf, usize)> = {
        let mut cases = vec![(
            "this repository".to_owned(),
            repo().join("queries"),
            messenger_gen::load::queries::read_dir(&repo().join("queries"))
                .unwrap()
                .len(),
        )];
        for n in [10, 100, 1000] {
            let dir = scratch.path().join(format!("q{n}"));
            std::fs::create_dir_all(&dir).unwrap();
            synthetic_queries(n, &dir);
            cases.push((format!("synthetic {n}"), dir, n));
        }
        cases
    };
    for (name, queries, n) in &cases {
        let config = Config {
            schema: repo().join("schema"),
            queries: queries.clone(),
            output: scratch.path().join("out"),
            ..Config::default()
        };
        let runs = if *n >= 1000 { 3 } else { 5 };
        let ours_time = time(runs, || ours(&config, Some(&url)));
        let out = scratch.path().join("cornucopia");
        let theirs = time(runs, || cornucopia(&config, &url, &out, &mut counter));
        let ratio = ours_time.as_secs_f64() / theirs.as_secs_f64();
        println!(
            "| {name} | {n} | {:.0} ms | {:.0} ms | {ratio:.2}× |",
            ours_time.as_secs_f64() * 1e3,
            theirs.as_secs_f64() * 1e3
        );
        if name.starts_with("synthetic") {
            rows.push((*n, ours_time));
        }
    }
    // Linearity: time per query between the synthetic sizes.
    for pair in rows.windows(2) {
        let ((n1, t1), (n2, t2)) = (&pair[0], &pair[1]);
        let per_query = (t2.as_secs_f64() - t1.as_secs_f64()) / (*n2 - *n1) as f64 * 1e3;
        println!("\nmarginal cost {n1}→{n2} queries: {per_query:.2} ms/query");
    }

    let config = Config {
        schema: repo().join("schema"),
        queries: repo().join("queries"),
        output: scratch.path().join("out"),
        ..Config::default()
    };
    let with_url = time(5, || ours(&config, Some(&url)));
    let without = time(5, || ours(&config, None));
    println!(
        "\nthrow-away cluster: {:.0} ms without a URL vs {:.0} ms with one: +{:.0} ms",
        without.as_secs_f64() * 1e3,
        with_url.as_secs_f64() * 1e3,
        (without.as_secs_f64() - with_url.as_secs_f64()) * 1e3
    );
}
