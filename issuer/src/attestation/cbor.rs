//! A small CBOR (RFC 8949) reader for Apple's attestation object: definite lengths, the types
//! the object uses (unsigned and negative integers, byte and text strings, arrays, maps,
//! `true`/`false`/`null`), nested at most [`MAX_DEPTH`] deep.
//!
//! Contract: never panics, never allocates more items than the input has bytes; tags, floats,
//! indefinite lengths and trailing bytes are [`AttestationError::Malformed`]. Values borrow from
//! the input.

use super::error::AttestationError;

/// The deepest nesting accepted (the attestation object is 3 deep).
pub const MAX_DEPTH: usize = 8;

/// One CBOR value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Unsigned(u64),
    /// A negative integer `-1 - n`, kept as `n`.
    Negative(u64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Array(Vec<Value<'a>>),
    Map(Vec<(Value<'a>, Value<'a>)>),
    Bool(bool),
    Null,
}

impl<'a> Value<'a> {
    /// The value under the text key `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| *k == Value::Text(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&'a str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

fn malformed() -> AttestationError {
    AttestationError::Malformed { what: "CBOR" }
}

/// Decodes exactly one value from `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Value<'_>, AttestationError> {
    let mut rest = bytes;
    let value = item(&mut rest, 0)?;
    if rest.is_empty() { Ok(value) } else { Err(malformed()) }
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], AttestationError> {
    if rest.len() < n {
        return Err(malformed());
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn argument(rest: &mut &[u8], info: u8) -> Result<u64, AttestationError> {
    let n = match info {
        0..=23 => return Ok(u64::from(info)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return Err(malformed()),
    };
    Ok(take(rest, n)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

fn length(rest: &[u8], n: u64) -> Result<usize, AttestationError> {
    let n = usize::try_from(n).map_err(|_| malformed())?;
    // Every item takes at least one byte: a count beyond the input is a lie.
    if n > rest.len() { Err(malformed()) } else { Ok(n) }
}

fn item<'a>(rest: &mut &'a [u8], depth: usize) -> Result<Value<'a>, AttestationError> {
    if depth > MAX_DEPTH {
        return Err(malformed());
    }
    let first = *take(rest, 1)?.first().ok_or_else(malformed)?;
    let (major, info) = (first >> 5, first & 0x1f);
    let arg = argument(rest, info)?;
    Ok(match major {
        0 => Value::Unsigned(arg),
        1 => Value::Negative(arg),
        2 => {
            let n = length(rest, arg)?;
            Value::Bytes(take(rest, n)?)
        }
        3 => {
            let n = length(rest, arg)?;
            Value::Text(std::str::from_utf8(take(rest, n)?).map_err(|_| malformed())?)
        }
        4 => {
            let n = length(rest, arg)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(item(rest, depth + 1)?);
            }
            Value::Array(items)
        }
        5 => {
            let n = length(rest, arg)?;
            let mut entries = Vec::new();
            for _ in 0..n {
                let k = item(rest, depth + 1)?;
                let v = item(rest, depth + 1)?;
                if entries.iter().any(|(seen, _)| *seen == k) {
                    return Err(malformed());
                }
                entries.push((k, v));
            }
            Value::Map(entries)
        }
        7 => match info {
            20 => Value::Bool(false),
            21 => Value::Bool(true),
            22 => Value::Null,
            _ => return Err(malformed()),
        },
        // 6: tags are not used by the attestation object.
        _ => return Err(malformed()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_map_of_text_to_bytes_decodes() {
        // {"a": h'0102'}
        let v = decode(&[0xa1, 0x61, b'a', 0x42, 1, 2]).unwrap();
        assert_eq!(v.get("a").and_then(Value::as_bytes), Some(&[1u8, 2][..]));
    }

    #[test]
    fn lies_and_leftovers_are_malformed() {
        assert!(decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x42, 1]).is_err());
        assert!(decode(&[0x01, 0x01]).is_err());
        assert!(decode(&[0x5f, 0x41, 1, 0xff]).is_err());
        assert!(decode(&[0xc1, 0x01]).is_err());
        let deep = [0x81u8; 64];
        assert!(decode(&deep).is_err());
        // duplicate key
        assert!(decode(&[0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02]).is_err());
    }
}
