//! Software keys, wrapped at rest by a key the app holds.
//!
//! ```text
//!  SoftwareKey.generate(suite) ──wrap(app KeyWrapper)──► bytes (store them anywhere)
//!  bytes ──SoftwareKey.unwrap(bytes, app KeyWrapper)──► SoftwareKey (checked against its public key)
//! ```
//!
//! The blob is core's canonical `WrappedSecretKey` encoding; the secret inside is whatever the
//! app's wrapper produced (Android Keystore AES-GCM, iOS Keychain / Secure Enclave ECIES…).
//! The secret crosses the FFI once per wrap or unwrap, in a buffer the host owns afterwards.

use std::sync::Arc;

use offline_cash_core::crypto::{self, SoftwareSigner, WrapError, WrappedSecretKey};
use offline_cash_core::token::wallet_id;
use zeroize::Zeroizing;

use crate::{KeyWrapperError, OfflineCashError, Suite};

/// Encrypts and decrypts secret keys with a key the app holds (Android Keystore AES-GCM key,
/// iOS Keychain). Implemented by the app; the library never sees the wrapping key.
#[uniffi::export(with_foreign)]
pub trait KeyWrapper: Send + Sync {
    /// Encrypts `secret`; the output is opaque to the library.
    fn wrap(&self, secret: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError>;
    /// Decrypts what `wrap` produced.
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError>;
}

/// Adapts the app's `KeyWrapper` to core's.
pub(crate) struct ForeignWrapper(pub(crate) Arc<dyn KeyWrapper>);

impl crypto::KeyWrapper for ForeignWrapper {
    fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, WrapError> {
        self.0.wrap(secret.to_vec()).map_err(|e| WrapError(e.to_string()))
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrapError> {
        self.0.unwrap(wrapped.to_vec()).map(Zeroizing::new).map_err(|e| WrapError(e.to_string()))
    }
}

/// A signing key of any suite held in memory by the library (zeroized when released). Its
/// secret leaves only wrapped by the app's `KeyWrapper`.
#[derive(Debug, uniffi::Object)]
pub struct SoftwareKey {
    signer: SoftwareSigner,
}

#[uniffi::export]
impl SoftwareKey {
    /// A fresh key of `suite` from the operating system's random source.
    #[uniffi::constructor]
    pub fn generate(suite: Suite) -> Result<Arc<Self>, OfflineCashError> {
        Ok(Arc::new(Self { signer: SoftwareSigner::generate(suite.into())? }))
    }

    /// Restores a key from bytes written by `wrap`, decrypting its secret with
    /// `wrapper` and checking that the secret belongs to the stored public key.
    #[uniffi::constructor]
    pub fn unwrap(wrapped: Vec<u8>, wrapper: Arc<dyn KeyWrapper>) -> Result<Arc<Self>, OfflineCashError> {
        let wrapped = WrappedSecretKey::decode(&wrapped)?;
        let signer = SoftwareSigner::unwrap(&wrapped, &ForeignWrapper(wrapper))?;
        Ok(Arc::new(Self { signer }))
    }

    /// The secret, encrypted by `wrapper`, with its public key: bytes to store.
    pub fn wrap(&self, wrapper: Arc<dyn KeyWrapper>) -> Result<Vec<u8>, OfflineCashError> {
        Ok(self.signer.wrap(&ForeignWrapper(wrapper))?.encode())
    }

    /// The key's suite.
    pub fn suite(&self) -> Result<Suite, OfflineCashError> {
        crypto::Signer::suite(&self.signer).try_into()
    }

    /// The public key in its canonical encoding for the suite (without the suite id).
    pub fn public_key(&self) -> Vec<u8> {
        crypto::Signer::public_key(&self.signer).as_bytes().to_vec()
    }

    /// The wallet id of this key: 64 lower-case hex characters.
    pub fn wallet_id(&self) -> String {
        wallet_id(&crypto::Signer::public_key(&self.signer)).to_hex()
    }
}
