//! Entry point: everything lives in the library so tests can boot it.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    bridgeboard::cli::run().await
}
