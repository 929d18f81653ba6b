//! rustls needs one process-wide crypto provider before any TLS client is
//! built (reqwest, lettre, the sandbox's webhook sender); ring keeps the
//! build light.

pub fn install_crypto_provider() {
    // Err means one is installed already (a second app in the same process).
    let _ = rustls::crypto::ring::default_provider().install_default();
}
