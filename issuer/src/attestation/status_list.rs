//! The attestation status list the operator provides: Google's JSON format
//! (<https://android.googleapis.com/attestation/status>), read from a file, never fetched here.
//!
//! ```text
//! { "entries": { "<serial, lowercase hex>": { "status": "REVOKED" | "SUSPENDED", "reason": … }, … } }
//! ```
//!
//! Contract: a certificate whose serial number has an entry with status `REVOKED` or
//! `SUSPENDED` is refused (Google asks verifiers to treat both as not trusted); other statuses
//! and the reason are informational. Serial numbers compare as hexadecimal without leading
//! zeros, case-insensitively. The list is as fresh as the operator keeps it: a key revoked
//! after the file was written still passes (docs/THREAT_MODEL.md, "key compromise").

use std::collections::HashSet;

use super::error::AttestationError;

/// The serial numbers to refuse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusList {
    refused: HashSet<String>,
}

fn normalise(serial: &str) -> String {
    let lower = serial.trim().to_ascii_lowercase();
    let trimmed = lower.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() }
}

impl StatusList {
    /// No serial refused (an operator without a list; docs/THREAT_MODEL.md says what that costs).
    pub fn empty() -> Self {
        StatusList::default()
    }

    /// Reads the JSON file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, AttestationError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| AttestationError::StatusList { what: "not JSON" })?;
        let entries = value
            .get("entries")
            .and_then(|e| e.as_object())
            .ok_or(AttestationError::StatusList { what: "no \"entries\" object" })?;
        let mut refused = HashSet::new();
        for (serial, entry) in entries {
            if serial.is_empty() || !serial.trim().bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AttestationError::StatusList { what: "a serial number that is not hexadecimal" });
            }
            let status = entry
                .get("status")
                .and_then(|s| s.as_str())
                .ok_or(AttestationError::StatusList { what: "an entry without a \"status\" string" })?;
            if status == "REVOKED" || status == "SUSPENDED" {
                refused.insert(normalise(serial));
            }
        }
        Ok(StatusList { refused })
    }

    /// Whether the serial (lowercase hex, as [`super::x509::Certificate::serial_hex`]) is refused.
    pub fn is_refused(&self, serial_hex: &str) -> bool {
        self.refused.contains(&normalise(serial_hex))
    }

    /// How many serials the list refuses.
    pub fn len(&self) -> usize {
        self.refused.len()
    }

    /// Whether the list refuses nothing.
    pub fn is_empty(&self) -> bool {
        self.refused.is_empty()
    }
}
