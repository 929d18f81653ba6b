//! Clients for the APIs we sit in front of. Each talks HTTP to the real service
//! or, in sandbox mode, to the in-process simulator: the code path is the same.

pub mod monday;
