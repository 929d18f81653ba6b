//! Entry point: everything lives in the library so tests can boot it.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    bridgeboard::cli::run().await
}
