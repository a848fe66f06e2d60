//! [`KeyFile`]: the issuer's signing keys in a file of their own, out of the database, so that
//! several issuer nodes over one database share them (each node reads the same file, from a
//! secret store or a mounted volume) and a copy of the database holds no key.
//!
//! ```text
//!  # offline-cash issuer keys: <key id> <P-256 scalar, 64 hex digits>
//!  1 3f9c…
//!  2 a41d…        ◄── added by `rotate-key --key-file` (the rotation itself goes to the database)
//! ```
//!
//! With a key file the database keeps only public things: the rotations (their scalar column
//! empty) and when the issuer was created. The file is written whole to a temporary file and
//! renamed over the old one, readable by its owner only (Unix mode 0600). It is a reference
//! for an HSM behind the same `Signer` trait, which a production issuer would use instead.

use std::path::{Path, PathBuf};

use offline_cash_core::crypto::SoftwareSigner;
use rand_core::{OsRng, RngCore as _};
use zeroize::Zeroizing;

use crate::IssuerError;

/// The keys of a key file, by key id.
pub struct KeyFile {
    path: PathBuf,
    keys: Vec<(u32, Zeroizing<[u8; 32]>)>,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u32> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("KeyFile").field("path", &self.path).field("key_ids", &ids).finish_non_exhaustive()
    }
}

fn bad(path: &Path, what: &str) -> IssuerError {
    IssuerError::Policy { what: format!("key file {}: {what}", path.display()) }
}

/// A fresh valid P-256 scalar.
pub(crate) fn fresh_scalar() -> Zeroizing<[u8; 32]> {
    let mut s = Zeroizing::new([0u8; 32]);
    loop {
        OsRng.fill_bytes(s.as_mut());
        if SoftwareSigner::p256_from_scalar(&s).is_ok() {
            return s;
        }
    }
}

impl KeyFile {
    /// Creates a key file at `path` holding a fresh key 1; refuses to overwrite one.
    pub fn create(path: &Path) -> Result<Self, IssuerError> {
        if path.exists() {
            return Err(bad(path, "exists already"));
        }
        let file = KeyFile { path: path.to_owned(), keys: vec![(1, fresh_scalar())] };
        file.save()?;
        Ok(file)
    }

    /// Reads the key file at `path`.
    pub fn open(path: &Path) -> Result<Self, IssuerError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| bad(path, &e.to_string()))?);
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (id, hex) = line.split_once(' ').ok_or_else(|| bad(path, "a line is not `<key id> <scalar>`"))?;
            let id: u32 = id.parse().map_err(|_| bad(path, "a key id is not a number"))?;
            let scalar = offline_cash_core::sync::auth::parse_hex::<32>(hex.trim())
                .map(Zeroizing::new)
                .ok_or_else(|| bad(path, "a scalar is not 64 hex digits"))?;
            SoftwareSigner::p256_from_scalar(&scalar).map_err(|_| bad(path, "a scalar is not a P-256 key"))?;
            keys.retain(|(k, _)| *k != id);
            keys.push((id, scalar));
        }
        if keys.is_empty() {
            return Err(bad(path, "holds no key"));
        }
        Ok(KeyFile { path: path.to_owned(), keys })
    }

    /// The scalar of key `id`.
    pub fn get(&self, id: u32) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, s)| &**s)
    }

    /// Stores `scalar` as key `id` (replacing one of that id) and writes the file.
    pub fn put(&mut self, id: u32, scalar: &[u8; 32]) -> Result<(), IssuerError> {
        self.keys.retain(|(k, _)| *k != id);
        self.keys.push((id, Zeroizing::new(*scalar)));
        self.keys.sort_by_key(|(k, _)| *k);
        self.save()
    }

    fn save(&self) -> Result<(), IssuerError> {
        let mut text = Zeroizing::new(String::from("# offline-cash issuer keys: <key id> <P-256 scalar, hex>\n"));
        for (id, scalar) in &self.keys {
            text.push_str(&format!("{id} {}\n", offline_cash_core::sync::auth::to_hex(&scalar[..])));
        }
        let tmp = self.path.with_extension("tmp");
        let io = |e: std::io::Error| bad(&self.path, &e.to_string());
        {
            use std::io::Write as _;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_is_not_overwritten() {
        let dir = std::env::temp_dir().join(format!("oc-key-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("issuer.keys");
        let mut file = KeyFile::create(&path).unwrap();
        assert!(KeyFile::create(&path).is_err(), "an existing key file is never replaced");
        let two = fresh_scalar();
        file.put(2, &two).unwrap();
        let again = KeyFile::open(&path).unwrap();
        assert_eq!(again.get(1), file.get(1));
        assert_eq!(again.get(2), Some(&*two));
        assert_eq!(again.get(3), None);
        assert!(!format!("{again:?}").contains(&offline_cash_core::sync::auth::to_hex(&two[..])), "Debug hides keys");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "1 zz\n").unwrap();
        assert!(KeyFile::open(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
