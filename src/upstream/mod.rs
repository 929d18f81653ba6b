//! Clients for the APIs we sit in front of. Each talks HTTP to the real service
//! or, in sandbox mode, to the in-process simulator: the code path is the same.

pub mod calendly;
pub mod health;
pub mod monday;

/// Whether a failure is worth trying again later: the upstream was down,
/// slow or rate limiting us, as opposed to refusing what we sent. Upstream
/// errors and the domain errors that wrap them answer the same way, so a
/// worker decides retry-or-report from this alone.
pub trait Transient {
    fn is_transient(&self) -> bool;
}
