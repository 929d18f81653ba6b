//! Faithful in-process simulators of the Monday and Calendly APIs, used by the
//! tests, the benchmarks, and `serve` when no upstream tokens are configured.
//! `Sandbox::start` serves both (plus fault injection and a control API) on
//! one listener.

pub mod calendly;
pub mod command;
pub mod control;
pub mod faults;
pub mod monday;
pub mod options;
pub mod seed;
pub mod server;

pub use faults::{FaultConfig, Faults, TimeoutMode, Upstream};
pub use options::SandboxOptions;
pub use server::{Sandbox, SandboxError, SandboxHandle};
