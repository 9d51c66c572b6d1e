use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match privctl::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap renders them, on stdout.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            privctl::ui::print_usage_error(&e);
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            privctl::ui::print_error(&anyhow::Error::new(e).context("starting the async runtime"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(privctl::commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            privctl::ui::print_error(&e);
            privctl::error::exit_code(&e)
        }
    }
}

/// A reader that stopped reading (`privctl … | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
