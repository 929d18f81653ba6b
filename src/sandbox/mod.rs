//! Faithful in-process simulators of the Monday and Calendly APIs, used by the
//! tests, the benchmarks, and `serve` when no upstream tokens are configured.

pub mod calendly;
pub mod monday;
pub mod seed;
