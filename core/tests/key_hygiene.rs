//! Secret-holding types wipe their memory when dropped (docs/THREAT_MODEL.md, "Key
//! handling"). Compile-time checks: removing the `zeroize` features this relies on (the AES
//! key schedule under `Aes256Gcm`, the P-256 keys) stops this file from compiling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::crypto::{SoftwareKeyWrapper, SoftwareSigner, Suite};

fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop + ?Sized>() {}

#[test]
fn the_key_material_under_our_secrets_zeroizes_on_drop() {
    // SoftwareSigner holds a SigningKey (P-256) or a Zeroizing<Vec<u8>> (ML-DSA). (And, for
    // P-256, ring's EcdsaKeyPair to sign with, which ring does not wipe: decision 0009.)
    zeroize_on_drop::<p256::ecdsa::SigningKey>();
    zeroize_on_drop::<zeroize::Zeroizing<Vec<u8>>>();
    // Ephemeral session secrets and the ECDH output.
    zeroize_on_drop::<p256::SecretKey>();
    zeroize_on_drop::<p256::ecdh::SharedSecret>();
    // The AES-256 key schedule inside Aes256Gcm (session keys, the software key wrapper).
    zeroize_on_drop::<aes::Aes256>();
}

#[test]
fn debug_output_of_key_holders_shows_no_secret() {
    let scalar = [0x42u8; 32];
    let signer = SoftwareSigner::p256_from_scalar(&scalar).unwrap();
    let wrapper = SoftwareKeyWrapper::new([0x24; 32]);
    let wrapped = signer.wrap(&wrapper).unwrap();
    let composite = SoftwareSigner::generate(Suite::CompositeMlDsa44EcdsaP256).unwrap();
    let text = format!("{signer:?} {wrapper:?} {wrapped:?} {composite:?}");
    for needle in [hex::encode(scalar), hex::encode([0x24u8; 32]), hex::encode(&wrapped.wrapped), "66, 66, 66".into()] {
        assert!(!text.contains(&needle), "secret material in Debug output: {text}");
    }
}
