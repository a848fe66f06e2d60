//! ring keeps its own copy of a software P-256 key (`EcdsaKeyPair`: the scalar in Montgomery
//! form, a nonce key derived from it, the public point) and cannot wipe it. `P256Secret`
//! overwrites that copy in place when the signer is dropped (decision 0009, "Secrets"). This
//! test watches the heap: a recording allocator copies every freed block of the key pair's size
//! while armed. Once the signer is dropped, the freed pair must hold the public point of the
//! scalar 1, not the key's own point. A control run shows the check can fail: a ring pair freed
//! without the overwrite still holds its key's point.
//!
//! The one `unsafe` here is the allocator: a test may implement `GlobalAlloc`, the library may
//! not (core forbids `unsafe`). One test in this file, so no other thread allocates while armed.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use offline_cash_core::crypto::{Signer, SoftwareSigner};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

const SLOT: usize = 1024;

struct Recording;
static ARMED: AtomicBool = AtomicBool::new(false);
static WATCHED_SIZE: AtomicUsize = AtomicUsize::new(0);
static FREED: Mutex<([[u8; SLOT]; 8], usize)> = Mutex::new(([[0; SLOT]; 8], 0));

unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let size = layout.size();
        if ARMED.load(Ordering::SeqCst) && size == WATCHED_SIZE.load(Ordering::SeqCst) && size <= SLOT {
            if let Ok(mut freed) = FREED.try_lock() {
                let n = freed.1;
                if n < freed.0.len() {
                    let bytes = unsafe { std::slice::from_raw_parts(ptr, size) };
                    freed.0[n][..size].copy_from_slice(bytes);
                    freed.1 = n + 1;
                }
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// Runs `f` armed and returns the freed blocks of the watched size.
fn freed_while(f: impl FnOnce()) -> Vec<Vec<u8>> {
    FREED.lock().unwrap().1 = 0;
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    let freed = FREED.lock().unwrap();
    let size = WATCHED_SIZE.load(Ordering::SeqCst);
    freed.0[..freed.1].iter().map(|b| b[..size].to_vec()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_dropped_software_p256_signer_leaves_no_copy_of_its_key_in_rings_key_pair() {
    let size = std::mem::size_of::<ring::signature::EcdsaKeyPair>();
    assert!(size <= SLOT, "the key pair is {size} bytes");
    WATCHED_SIZE.store(size, Ordering::SeqCst);
    let scalar = [0x42u8; 32];
    let secret = p256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
    let own_point = secret.verifying_key().to_encoded_point(false).as_bytes().to_vec();
    let generator = p256::AffinePoint::GENERATOR.to_encoded_point(false).as_bytes().to_vec();

    // Control: a ring pair of that key, boxed and freed as it is, still holds its point.
    let rng = ring::rand::SystemRandom::new();
    let pair = Box::new(
        ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &scalar,
            &own_point,
            &rng,
        )
        .unwrap(),
    );
    let control = freed_while(|| drop(pair));
    assert_eq!(control.len(), 1, "the control pair's box is freed once");
    assert!(contains(&control[0], &own_point), "the check would see a key left behind");

    // The library's signer, used, then dropped.
    let signer = SoftwareSigner::p256_from_scalar(&scalar).unwrap();
    let message = b"a message";
    signer.public_key().verify(message, &signer.sign(message).unwrap()).unwrap();
    let freed = freed_while(|| drop(signer));
    assert_eq!(freed.len(), 1, "the signer's key pair is freed once");
    assert!(!contains(&freed[0], &own_point), "the key's pair was freed without being overwritten");
    assert!(contains(&freed[0], &generator), "it was overwritten with the pair of the scalar 1");
}
