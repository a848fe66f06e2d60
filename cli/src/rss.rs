//! Peak resident memory of this process (Linux `/proc/self/status`, `VmHWM`), for the memory
//! figures of docs/PERFORMANCE.md ("Command line"). `None` where the file does not exist.

/// Peak resident set size in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    read_field("VmHWM:")
}

/// Current resident set size in KiB.
pub fn rss_kib() -> Option<u64> {
    read_field("VmRSS:")
}

fn read_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// `12.3 MiB`, or `n/a`.
pub fn format_kib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}
