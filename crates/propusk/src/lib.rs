//! The `propusk` command: configuration, logging and the subcommands.

pub mod cli;
mod commands;
mod config;
mod emulator;
mod logging;
