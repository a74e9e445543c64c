use std::process::ExitCode;

use clap::Parser;
use porteiro::cli::{Cli, Command};
use porteiro::config::Settings;

fn main() -> ExitCode {
    // Initialise OpenSSL first, without its exit-time cleanup: libpq and the
    // connection pool's threads may still be inside OpenSSL when `main`
    // returns, and the cleanup would pull it from under them (a crash on exit).
    openssl::init();
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("porteiro: {error}");
            return ExitCode::from(2);
        }
    };
    porteiro::telemetry::init(&settings.log);

    let command = cli.command.unwrap_or(Command::Serve);
    match actix_web::rt::System::new().block_on(porteiro::cli::run(command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("porteiro: {error}");
            error.exit_code()
        }
    }
}
