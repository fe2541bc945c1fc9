//! Documents for people, as PDF: a small flowing layout (headings, labelled
//! fields, paragraphs, a QR code) over krilla, with DejaVu Sans embedded so
//! that Cyrillic renders everywhere and `pdftotext` extracts it; and the
//! documents built with it, such as the consent receipt.

pub mod export;
mod layout;
pub mod receipt;

pub use layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("pdf: {0}")]
    Pdf(String),
    #[error("qr: {0}")]
    Qr(String),
}
