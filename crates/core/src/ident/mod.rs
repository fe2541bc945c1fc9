//! Russian identifiers. Placeholder: being written.
