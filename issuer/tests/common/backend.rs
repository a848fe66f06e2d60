//! Which database the test issuers run on: SQLite files (the default), or fresh PostgreSQL
//! databases when `OC_TEST_BACKEND=postgres` (with `OC_TEST_PG_URL` from
//! scripts/with-postgres.sh and `--features postgres`; scripts/issuer-postgres.sh sets both).

use offline_cash_issuer::IssuerConfig;

/// Whether the tests run on PostgreSQL.
pub fn postgres() -> bool {
    std::env::var("OC_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// An issuer configuration on a fresh database of the chosen backend.
pub fn config(admin: &str) -> IssuerConfig {
    let mut config = IssuerConfig::new(super::temp_db(), admin);
    config.database_url = database_url();
    config
}

/// A fresh PostgreSQL database's URL when the tests run on PostgreSQL, else `None`.
pub fn database_url() -> Option<String> {
    if !postgres() {
        return None;
    }
    #[cfg(feature = "postgres")]
    {
        Some(fresh_database())
    }
    #[cfg(not(feature = "postgres"))]
    {
        panic!("OC_TEST_BACKEND=postgres needs --features postgres");
    }
}

#[cfg(feature = "postgres")]
fn fresh_database() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let url = std::env::var("OC_TEST_PG_URL").expect("OC_TEST_BACKEND=postgres needs OC_TEST_PG_URL");
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("oc_http_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let admin_url = url.clone();
    let create = format!("CREATE DATABASE {name}");
    // The blocking client runs a runtime of its own: not on a tokio test's thread.
    std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
        admin.batch_execute(&create).unwrap();
    })
    .join()
    .unwrap();
    let (base, _) = url.rsplit_once('/').expect("OC_TEST_PG_URL names a database");
    format!("{base}/{name}")
}
