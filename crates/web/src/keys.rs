//! The personal-data key ring: read from the key file, or created there on the
//! very first start, then checked against the fingerprints the database holds.

use std::io::Write;
use std::path::Path;

use propusk_core::vault::KeyRing;
use propusk_store::Db;
use propusk_store::vault_keys::{KeyCheck, reconcile};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {reason}")]
    File { path: String, reason: String },
    #[error(
        "key file {path} does not match this database ({detail}); every node must use the same key file"
    )]
    Mismatch { path: String, detail: String },
    #[error("database: {0}")]
    Store(#[from] propusk_store::StoreError),
}

/// Loads the ring from `path`, creating it (mode 0600) if the file is absent.
pub fn load_or_create(path: &Path) -> Result<KeyRing, KeyError> {
    let shown = path.display().to_string();
    let file_err = |reason: String| KeyError::File {
        path: shown.clone(),
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => KeyRing::parse(&text).map_err(|e| file_err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let ring = KeyRing::generate(&mut rand_core::OsRng);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| file_err(e.to_string()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|e| file_err(e.to_string()))?;
            file.write_all(ring.to_text().as_bytes())
                .map_err(|e| file_err(e.to_string()))?;
            file.sync_all().map_err(|e| file_err(e.to_string()))?;
            tracing::warn!(path = %shown, "created a new key ring for personal data: back it up");
            Ok(ring)
        }
        Err(e) => Err(file_err(e.to_string())),
    }
}

/// Refuses a ring that differs from the one this database was written with.
pub async fn check(db: &Db, ring: &KeyRing, path: &Path) -> Result<(), KeyError> {
    let now = propusk_core::time::truncate_micros(time::OffsetDateTime::now_utc());
    let mismatch = |detail: String| KeyError::Mismatch {
        path: path.display().to_string(),
        detail,
    };
    match reconcile(db, &ring.fingerprints(), now).await? {
        KeyCheck::Matches { added } => {
            if !added.is_empty() {
                tracing::info!(?added, "key fingerprints recorded");
            }
            Ok(())
        }
        KeyCheck::Differs { name } => Err(mismatch(format!("{name} differs"))),
        KeyCheck::Missing { name } => Err(mismatch(format!("{name} is missing"))),
    }
}
