//! [`Backend`]: the store an [`crate::Issuer`] runs on, chosen at start from its configuration
//! (a SQLite file, or a `postgres://` URL with the `postgres` feature).

use super::sqlite::SqliteStore;
use super::{Store, Tx};
use crate::IssuerError;

/// One of the backends.
#[derive(Debug)]
pub enum Backend {
    /// The embedded SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database (shared by every issuer node over it).
    #[cfg(feature = "postgres")]
    Postgres(super::postgres::PgStore),
}

impl Backend {
    /// Opens the SQLite file `path`, or connects to `url` when one is given (`postgres://…`).
    pub fn open(path: &std::path::Path, url: Option<&str>) -> Result<Self, IssuerError> {
        match url {
            None => Ok(Backend::Sqlite(SqliteStore::open(path)?)),
            #[cfg(feature = "postgres")]
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Backend::Postgres(super::postgres::PgStore::connect(url)?))
            }
            Some(url) => Err(IssuerError::Policy {
                what: format!(
                    "unsupported database URL {:?}: this build knows {}",
                    url.split(':').next().unwrap_or_default(),
                    if cfg!(feature = "postgres") { "postgres://" } else { "none (build with --features postgres)" }
                ),
            }),
        }
    }

    /// Whether several issuer nodes may share this database (then per-wallet state such as the
    /// request budget lives in it, not in a node's memory).
    pub fn is_shared(&self) -> bool {
        !matches!(self, Backend::Sqlite(_))
    }

    /// The name of the backend, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        }
    }
}

impl Store for Backend {
    fn write<T, F>(&self, f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>,
    {
        match self {
            Backend::Sqlite(s) => s.write(f),
            #[cfg(feature = "postgres")]
            Backend::Postgres(s) => s.write(f),
        }
    }

    fn read<T, F>(&self, f: F) -> Result<T, IssuerError>
    where
        F: FnMut(&mut dyn Tx) -> Result<T, IssuerError>,
    {
        match self {
            Backend::Sqlite(s) => s.read(f),
            #[cfg(feature = "postgres")]
            Backend::Postgres(s) => s.read(f),
        }
    }
}
