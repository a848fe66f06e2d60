//! A wallet database file from outside (a restored backup, a damaged disk): written to a
//! temporary file, opened with `store::Store::open`, then read (`balance`, `verify_log`,
//! `check_consistency`, `integrity_check`). Never panics, and never deletes the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offline_cash_core::store::Store;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("oc-fuzz-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("wallet.db");
    for sidecar in ["wallet.db-wal", "wallet.db-shm", "wallet.db-journal"] {
        let _ = std::fs::remove_file(dir.join(sidecar));
    }
    std::fs::write(&path, data).expect("write");
    if let Ok(store) = Store::open(&path) {
        let _ = store.balance();
        let _ = store.verify_log();
        let _ = store.check_consistency();
        let _ = store.integrity_check();
        drop(store);
    }
    assert!(path.exists(), "the store never deletes a wallet file");
});
