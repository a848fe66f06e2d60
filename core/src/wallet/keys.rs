//! Opening a wallet database together with its signing key.
//!
//! ```text
//!  open_software(path, suite, wrapper)
//!     first open : SoftwareSigner::generate(suite) ─wrap(wrapper)─► identity row (Wrapped)
//!     afterwards : identity row (Wrapped) ─unwrap(wrapper)─► SoftwareSigner (checked against the row)
//!  open_hardware(path, signer, alias)
//!     first open : identity row (Hardware(alias), the signer's public key)
//!     afterwards : the row's public key must be the signer's
//! ```
//!
//! Contract: the database stores the public key and where the secret lives; a software secret
//! is stored only wrapped by the app's [`KeyWrapper`], never in clear. A database opened with
//! the other kind of key, or with another key, is refused (`WalletError::Misuse`); a wrapper
//! that cannot unwrap the stored key is `WalletError::Signer` (`CryptoError::KeyWrap`).
//! This module does not create or find hardware keys: the app hands in its signer.

use std::path::Path;
use std::sync::Arc;

use crate::crypto::{KeyWrapper, Signer, SoftwareSigner, Suite, WrappedSecretKey};
use crate::store::{KeyLocation, Store};

use super::{Entropy, Wallet, WalletConfig, WalletError};

impl Wallet {
    /// Opens (or creates) the wallet at `path` with a software key of `suite`: generated and
    /// stored wrapped by `wrapper` on first open, unwrapped from the database afterwards.
    pub fn open_software(
        path: impl AsRef<Path>,
        suite: Suite,
        wrapper: &dyn KeyWrapper,
        entropy: Box<dyn Entropy>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        Self::software_from_store(Store::open(path)?, suite, wrapper, entropy, config)
    }

    /// As [`Wallet::open_software`], over an already opened store.
    pub fn software_from_store(
        store: Store,
        suite: Suite,
        wrapper: &dyn KeyWrapper,
        entropy: Box<dyn Entropy>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        let (signer, location) = match store.identity()? {
            Some(identity) => match identity.key {
                KeyLocation::Wrapped(bytes) => {
                    let wrapped = WrappedSecretKey::decode(&bytes).map_err(|e| WalletError::Storage(e.into()))?;
                    let signer = SoftwareSigner::unwrap(&wrapped, wrapper).map_err(WalletError::Signer)?;
                    (signer, KeyLocation::Wrapped(bytes))
                }
                KeyLocation::Hardware(_) => {
                    return Err(WalletError::Misuse {
                        detail: "this database belongs to a hardware key: open it with open_hardware".into(),
                    });
                }
            },
            None => {
                let signer = SoftwareSigner::generate(suite).map_err(WalletError::Signer)?;
                let wrapped = signer.wrap(wrapper).map_err(WalletError::Signer)?;
                tracing::info!(target: "offline_cash::wallet", ?suite, "software key generated and wrapped");
                (signer, KeyLocation::Wrapped(wrapped.encode()))
            }
        };
        Self::from_store(store, Arc::new(signer), location, entropy, config)
    }

    /// Opens (or creates) the wallet at `path` for a platform P-256 key (Android Keystore /
    /// StrongBox, Secure Enclave) that `signer` adapts; `key_alias` names it in the platform
    /// keystore and is recorded in the database.
    pub fn open_hardware(
        path: impl AsRef<Path>,
        signer: Arc<dyn Signer>,
        key_alias: &str,
        entropy: Box<dyn Entropy>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        Self::hardware_from_store(Store::open(path)?, signer, key_alias, entropy, config)
    }

    /// As [`Wallet::open_hardware`], over an already opened store.
    pub fn hardware_from_store(
        store: Store,
        signer: Arc<dyn Signer>,
        key_alias: &str,
        entropy: Box<dyn Entropy>,
        config: WalletConfig,
    ) -> Result<Self, WalletError> {
        if signer.suite() != Suite::EcdsaP256 {
            return Err(WalletError::Misuse { detail: "a hardware key must be ECDSA P-256".into() });
        }
        let location = match store.identity()? {
            Some(identity) => match identity.key {
                KeyLocation::Hardware(alias) => KeyLocation::Hardware(alias),
                KeyLocation::Wrapped(_) => {
                    return Err(WalletError::Misuse {
                        detail: "this database belongs to a software key: open it with open_software".into(),
                    });
                }
            },
            None => KeyLocation::Hardware(key_alias.to_owned()),
        };
        Self::from_store(store, signer, location, entropy, config)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use crate::crypto::{CryptoError, SoftwareKeyWrapper};
    use crate::wallet::SeededEntropy;

    fn entropy() -> Box<dyn Entropy> {
        Box::new(SeededEntropy::new([7; 32]))
    }

    #[test]
    fn software_key_is_generated_once_and_unwrapped_afterwards() {
        let dir = std::env::temp_dir().join(format!("oc-keys-{}-sw.db", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let wrapper = SoftwareKeyWrapper::generate();
        let first = Wallet::open_software(&dir, Suite::MlDsa44, &wrapper, entropy(), WalletConfig::default()).unwrap();
        let id = first.id();
        drop(first);
        // The suite argument only matters on first open: the stored key wins.
        let again =
            Wallet::open_software(&dir, Suite::EcdsaP256, &wrapper, entropy(), WalletConfig::default()).unwrap();
        assert_eq!(again.id(), id, "same key after reopening");
        assert_eq!(again.signer().suite(), Suite::MlDsa44);
        drop(again);
        let err = Wallet::open_software(
            &dir,
            Suite::MlDsa44,
            &SoftwareKeyWrapper::generate(),
            entropy(),
            WalletConfig::default(),
        )
        .unwrap_err();
        assert!(matches!(err, WalletError::Signer(CryptoError::KeyWrap(_))), "{err:?}");
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn the_stored_key_is_wrapped_not_clear() {
        let wrapper = SoftwareKeyWrapper::generate();
        let store = Store::open_in_memory().unwrap();
        let wallet =
            Wallet::software_from_store(store, Suite::EcdsaP256, &wrapper, entropy(), WalletConfig::default()).unwrap();
        let identity = wallet.with_store(|s| s.identity()).unwrap().unwrap();
        let KeyLocation::Wrapped(bytes) = identity.key else { panic!("software key stored as hardware") };
        let wrapped = WrappedSecretKey::decode(&bytes).unwrap();
        let restored = SoftwareSigner::unwrap(&wrapped, &wrapper).unwrap();
        assert_eq!(restored.public_key(), wallet.signer().public_key());
    }

    #[test]
    fn hardware_and_software_databases_are_not_interchangeable() {
        let dir = std::env::temp_dir().join(format!("oc-keys-{}-hw.db", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let hw: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
        let wallet = Wallet::open_hardware(&dir, hw.clone(), "alias", entropy(), WalletConfig::default()).unwrap();
        let id = wallet.id();
        drop(wallet);
        assert_eq!(Wallet::open_hardware(&dir, hw, "alias", entropy(), WalletConfig::default()).unwrap().id(), id);
        let other: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
        let err = Wallet::open_hardware(&dir, other, "alias", entropy(), WalletConfig::default()).unwrap_err();
        assert!(matches!(err, WalletError::Misuse { .. }), "another key: {err:?}");
        let err = Wallet::open_software(
            &dir,
            Suite::EcdsaP256,
            &SoftwareKeyWrapper::generate(),
            entropy(),
            WalletConfig::default(),
        )
        .unwrap_err();
        assert!(matches!(err, WalletError::Misuse { .. }), "software open of a hardware db: {err:?}");
        let ml: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Suite::MlDsa44).unwrap());
        let err =
            Wallet::hardware_from_store(Store::open_in_memory().unwrap(), ml, "x", entropy(), WalletConfig::default())
                .unwrap_err();
        assert!(matches!(err, WalletError::Misuse { .. }), "ML-DSA as hardware: {err:?}");
        let _ = std::fs::remove_file(&dir);
    }
}
