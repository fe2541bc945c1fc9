//! The layers every request passes through, assembled in `server::build_router`.

pub mod logging;
pub mod request_id;
pub mod security;
