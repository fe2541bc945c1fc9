//! State registries: a synthetic population, an emulator that serves it in
//! the registries' own formats, and the connectors Propusk uses to ask them.
//!
//! The emulator and the connectors share the wire types in [`wire`], so the
//! two ends cannot drift apart; a connector to a real registry would change
//! the transport, not its callers.

pub mod bank;
pub mod codes;
pub mod connect;
pub mod data;
pub mod emulator;
pub mod export;
pub mod population;
pub mod wire;

pub use population::Population;
