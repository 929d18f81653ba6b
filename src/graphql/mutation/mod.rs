//! The mutation root: one part per domain, merged.
