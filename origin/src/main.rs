//! The live origin. The HTTP service arrives with its issue; for now the
//! binary makes sure the demo content exists (generating it on first use),
//! builds the static tree when the catalog changed, and reports what it
//! would serve.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dashlive::media::synth::demo::{ensure, Demo};

#[derive(Parser)]
#[command(name = "dashlive-origin", version, about = "The dashlive live origin")]
struct Cli {
    /// The demo configuration; its test card is generated on first use.
    #[arg(long, default_value = "config/demo.yaml")]
    demo: PathBuf,
    /// The catalog to build and serve.
    #[arg(long, default_value = "config")]
    config: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    println!("dashlive-origin {}", env!("CARGO_PKG_VERSION"));
    let started = std::time::Instant::now();
    match ensure(&cli.demo) {
        Ok(Demo::Present(entry)) => println!("demo content: {}", entry.display()),
        Ok(Demo::Generated(files)) => {
            println!(
                "generated the demo content in {:.1} s:",
                started.elapsed().as_secs_f64()
            );
            for f in files {
                println!("  {}", f.file.display());
            }
        }
        Err(e) => {
            eprintln!("dashlive-origin: demo content: {e}");
            return ExitCode::FAILURE;
        }
    }
    match dashlive::build::build(&cli.config, None) {
        Ok(r) if r.unchanged => println!("static tree: {} (up to date)", r.out.display()),
        Ok(r) => println!(
            "static tree: {} built: {} streams, {} files in {:.1} s",
            r.out.display(),
            r.streams,
            r.files,
            r.seconds
        ),
        Err(e) => {
            eprintln!("dashlive-origin: build: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("(the HTTP server arrives with the origin issue)");
    ExitCode::SUCCESS
}
