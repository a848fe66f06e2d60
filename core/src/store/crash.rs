//! Crash points for the crash-consistency test (feature `test-support` only).
//!
//! Every call to [`crash_point`] counts. When the environment variable
//! `OFFLINE_CASH_CRASH_AT=N` is set and the N-th crash point is reached, the process prints
//! `CRASH_POINT <N> <name>` on stdout and blocks until its parent kills it with SIGKILL.
//! Without the feature the function is empty and compiles away.

#[cfg(feature = "test-support")]
mod imp {
    use std::io::Write as _;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static PASSED: AtomicU64 = AtomicU64::new(0);
    static TARGET: OnceLock<Option<u64>> = OnceLock::new();

    /// Marks a point where the process may be killed by the crash test.
    pub fn crash_point(name: &str) {
        let n = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
        let target =
            TARGET.get_or_init(|| std::env::var("OFFLINE_CASH_CRASH_AT").ok().and_then(|v| v.parse::<u64>().ok()));
        if *target == Some(n) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "CRASH_POINT {n} {name}");
            let _ = out.flush();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }

    /// How many crash points this process has passed.
    pub fn crash_points_passed() -> u64 {
        PASSED.load(Ordering::SeqCst)
    }
}

#[cfg(feature = "test-support")]
pub use imp::{crash_point, crash_points_passed};

/// Marks a point where the process may be killed by the crash test (no-op in this build).
#[cfg(not(feature = "test-support"))]
#[inline(always)]
pub fn crash_point(_name: &str) {}
