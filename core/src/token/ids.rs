//! Identifiers and small value types: note ids, wallet ids, currencies.

use super::DecodeError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw 32 bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
            /// Lower-case hex of the first 8 bytes, for people and logs.
            pub fn short(&self) -> String {
                self.0.iter().take(8).map(|b| format!("{b:02x}")).collect()
            }
            /// Lower-case hex of all 32 bytes.
            pub fn to_hex(&self) -> String {
                self.0.iter().map(|b| format!("{b:02x}")).collect()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({}…)", stringify!($name), self.short())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.short())
            }
        }
    };
}

id_type!(
    /// The id of a note: the digest of a genesis note's signed content, or a child id derived
    /// from the digest of the link that created it.
    NoteId
);
id_type!(
    /// A wallet's id: SHA-256 over the domain label, the suite id and the public key.
    WalletId
);
id_type!(
    /// The digest of a spend link's signed content.
    LinkId
);

/// An ISO 4217 alphabetic currency code (three upper-case ASCII letters), e.g. `EUR`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a three-letter upper-case code.
    pub fn new(code: &str) -> Option<Self> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_uppercase).then_some(Self(bytes))
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        // Only upper-case ASCII is ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    pub(crate) fn decode(dec: &mut crate::cbor::Decoder<'_>) -> Result<Self, DecodeError> {
        let at = dec.position();
        let text = dec.text(3)?;
        Self::new(text).ok_or(DecodeError::InvalidField { offset: at, field: "currency" })
    }
}

impl std::fmt::Debug for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
