//! `serve --url-file`: the URL a server listens on, for a caller that asked for port 0.
//!
//! A test harness or a supervisor that picks a port itself races every other process on the
//! machine for it (an outgoing connection's ephemeral port included); with `--listen
//! 127.0.0.1:0` the kernel picks a free port and the server already holds it, and this file
//! tells the caller which one. It is written once the listener is bound, before the first
//! request is served, to `PATH.tmp` and then renamed, so a reader that sees the file sees the
//! whole line.

use std::net::SocketAddr;
use std::path::Path;

use offline_cash_issuer::IssuerError;

/// Writes `http://ADDR\n` to `path` atomically (same-directory rename).
pub fn write(path: &Path, addr: SocketAddr) -> Result<(), IssuerError> {
    let failed = |e: std::io::Error| IssuerError::Internal { what: format!("url file {}: {e}", path.display()) };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, format!("http://{addr}\n")).map_err(failed)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })
}
