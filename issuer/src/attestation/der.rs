//! A small DER reader: exactly what X.509 certificates, Android's KeyDescription and Apple's
//! nonce extension need, and nothing else.
//!
//! Contract: every function takes untrusted bytes and returns a typed error, never panics and
//! never allocates more than its input. Only definite lengths in their shortest form (DER) are
//! accepted; a length that runs past the input is [`AttestationError::Malformed`]. Tags are
//! read with their class, constructed bit and number (multi-byte tag numbers included: the
//! KeyDescription uses context tags up to 7xx). It does not interpret values beyond the
//! primitive types listed here (INTEGER, BOOLEAN, OID, times).

use super::error::AttestationError;

/// Tag class bits (the two high bits of the first identifier octet).
pub const UNIVERSAL: u8 = 0x00;
/// Context-specific class.
pub const CONTEXT: u8 = 0x80;

/// A tag: class, constructed flag and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub class: u8,
    pub constructed: bool,
    pub number: u32,
}

impl Tag {
    pub const BOOLEAN: Tag = Tag::universal(1, false);
    pub const INTEGER: Tag = Tag::universal(2, false);
    pub const BIT_STRING: Tag = Tag::universal(3, false);
    pub const OCTET_STRING: Tag = Tag::universal(4, false);
    pub const NULL: Tag = Tag::universal(5, false);
    pub const OID: Tag = Tag::universal(6, false);
    pub const ENUMERATED: Tag = Tag::universal(10, false);
    pub const UTC_TIME: Tag = Tag::universal(23, false);
    pub const GENERALIZED_TIME: Tag = Tag::universal(24, false);
    pub const SEQUENCE: Tag = Tag::universal(16, true);
    pub const SET: Tag = Tag::universal(17, true);

    const fn universal(number: u32, constructed: bool) -> Tag {
        Tag { class: UNIVERSAL, constructed, number }
    }

    /// A context-specific tag `[number]`, constructed (EXPLICIT) or not.
    pub const fn context(number: u32, constructed: bool) -> Tag {
        Tag { class: CONTEXT, constructed, number }
    }
}

/// One element: its tag, its content and the whole encoding (tag, length and content).
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: Tag,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The content as a reader over its elements (for SEQUENCE, SET, EXPLICIT tags).
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    /// This element must have tag `tag`.
    pub fn expect(self, tag: Tag, what: &'static str) -> Result<Tlv<'a>, AttestationError> {
        if self.tag == tag { Ok(self) } else { Err(malformed(what)) }
    }
}

/// Reads consecutive elements from a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

pub fn malformed(what: &'static str) -> AttestationError {
    AttestationError::Malformed { what }
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, without consuming it.
    pub fn peek_tag(&self) -> Option<Tag> {
        read_tag(self.rest).ok().map(|(t, _)| t)
    }

    /// The next element.
    pub fn next(&mut self, what: &'static str) -> Result<Tlv<'a>, AttestationError> {
        let input = self.rest;
        let (tag, after_tag) = read_tag(input).map_err(|_| malformed(what))?;
        let (len, after_len) = read_len(after_tag).ok_or_else(|| malformed(what))?;
        if after_len.len() < len {
            return Err(malformed(what));
        }
        let (value, rest) = after_len.split_at(len);
        let header = input.len() - after_len.len();
        let raw = input.get(..header + len).ok_or_else(|| malformed(what))?;
        self.rest = rest;
        Ok(Tlv { tag, value, raw })
    }

    /// The next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: Tag, what: &'static str) -> Result<Tlv<'a>, AttestationError> {
        self.next(what)?.expect(tag, what)
    }

    /// The next element if it has tag `tag`, else nothing (and nothing consumed).
    pub fn optional(&mut self, tag: Tag, what: &'static str) -> Result<Option<Tlv<'a>>, AttestationError> {
        if self.peek_tag() == Some(tag) { self.next(what).map(Some) } else { Ok(None) }
    }

    /// Nothing may follow.
    pub fn finish(&self, what: &'static str) -> Result<(), AttestationError> {
        if self.rest.is_empty() { Ok(()) } else { Err(malformed(what)) }
    }
}

/// Parses one whole element: `bytes` must be exactly one TLV.
pub fn parse_one<'a>(bytes: &'a [u8], tag: Tag, what: &'static str) -> Result<Tlv<'a>, AttestationError> {
    let mut r = Reader::new(bytes);
    let tlv = r.expect(tag, what)?;
    r.finish(what)?;
    Ok(tlv)
}

fn read_tag(input: &[u8]) -> Result<(Tag, &[u8]), ()> {
    let (&first, mut rest) = input.split_first().ok_or(())?;
    let class = first & 0xc0;
    let constructed = first & 0x20 != 0;
    let mut number = u32::from(first & 0x1f);
    if number == 0x1f {
        number = 0;
        let mut count = 0;
        loop {
            let (&b, r) = rest.split_first().ok_or(())?;
            rest = r;
            count += 1;
            // No leading 0x80 (non-minimal), at most 4 bytes (28 bits of tag number).
            if (count == 1 && b == 0x80) || count > 4 {
                return Err(());
            }
            number = (number << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        if number < 0x1f {
            return Err(());
        }
    }
    Ok((Tag { class, constructed, number }, rest))
}

fn read_len(input: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first < 0x80 {
        return Some((usize::from(first), rest));
    }
    let count = usize::from(first & 0x7f);
    // 0x80 is the indefinite length (BER only); more than 4 length bytes is never needed here.
    if count == 0 || count > 4 || rest.len() < count {
        return None;
    }
    let (bytes, rest) = rest.split_at(count);
    if bytes.first() == Some(&0) {
        return None;
    }
    let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if len < 0x80 {
        return None;
    }
    Some((len, rest))
}

/// A non-negative INTEGER that fits in 64 bits (versions, tags' values, enumerations).
pub fn uint(value: &[u8], what: &'static str) -> Result<u64, AttestationError> {
    let digits = match value {
        [] => return Err(malformed(what)),
        [first, ..] if first & 0x80 != 0 => return Err(malformed(what)),
        [0, second, ..] if second & 0x80 == 0 => return Err(malformed(what)),
        [0, rest @ ..] => rest,
        all => all,
    };
    if digits.len() > 8 {
        return Err(malformed(what));
    }
    Ok(digits.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// A BOOLEAN's content.
pub fn boolean(value: &[u8], what: &'static str) -> Result<bool, AttestationError> {
    match value {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(malformed(what)),
    }
}

/// A BIT STRING's content with no unused bits (keys, signatures).
pub fn bit_string_bytes<'a>(value: &'a [u8], what: &'static str) -> Result<&'a [u8], AttestationError> {
    match value.split_first() {
        Some((0, bits)) => Ok(bits),
        _ => Err(malformed(what)),
    }
}

/// A UTCTime or GeneralizedTime (`...Z`, seconds) as Unix seconds; before 1970 is 0.
pub fn time(tlv: &Tlv<'_>) -> Result<u64, AttestationError> {
    let what = "certificate time";
    let text = tlv.value;
    let (year, rest) = if tlv.tag == Tag::UTC_TIME {
        if text.len() != 13 {
            return Err(malformed(what));
        }
        let yy = digits(text.get(..2), what)?;
        // RFC 5280 §4.1.2.5.1: 50..99 are 19xx, 00..49 are 20xx.
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..).unwrap_or_default())
    } else if tlv.tag == Tag::GENERALIZED_TIME {
        if text.len() != 15 {
            return Err(malformed(what));
        }
        (digits(text.get(..4), what)?, text.get(4..).unwrap_or_default())
    } else {
        return Err(malformed(what));
    };
    if rest.last() != Some(&b'Z') {
        return Err(malformed(what));
    }
    let month = digits(rest.get(0..2), what)?;
    let day = digits(rest.get(2..4), what)?;
    let hour = digits(rest.get(4..6), what)?;
    let minute = digits(rest.get(6..8), what)?;
    let second = digits(rest.get(8..10), what)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(malformed(what));
    }
    let days = days_from_civil(year as i64, month, day);
    let secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    Ok(u64::try_from(secs).unwrap_or(0))
}

fn digits(text: Option<&[u8]>, what: &'static str) -> Result<u64, AttestationError> {
    let text = text.ok_or_else(|| malformed(what))?;
    text.iter().try_fold(0u64, |acc, &c| {
        if c.is_ascii_digit() { Ok(acc * 10 + u64::from(c - b'0')) } else { Err(malformed(what)) }
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u64, day: u64) -> i64 {
    let (month, day) = (month as i64, day as i64);
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_be_minimal_and_inside_the_input() {
        assert!(Reader::new(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).next("x").is_err());
        assert!(Reader::new(&[0x04, 0x03, 1, 2]).next("x").is_err());
        assert!(Reader::new(&[0x04, 0x80, 1, 2, 0, 0]).next("x").is_err());
        let tlv = Reader::new(&[0x04, 0x02, 1, 2]).next("x").unwrap();
        assert_eq!(tlv.value, &[1, 2]);
    }

    #[test]
    fn multi_byte_context_tags_are_read() {
        // [704] constructed, empty: bf 85 40 00
        let tlv = Reader::new(&[0xbf, 0x85, 0x40, 0x00]).next("x").unwrap();
        assert_eq!(tlv.tag, Tag::context(704, true));
    }

    #[test]
    fn times_are_unix_seconds() {
        let utc = Tlv { tag: Tag::UTC_TIME, value: b"700101000000Z", raw: &[] };
        assert_eq!(time(&utc).unwrap(), 0);
        let generalized = Tlv { tag: Tag::GENERALIZED_TIME, value: b"20480101000000Z", raw: &[] };
        assert_eq!(time(&generalized).unwrap(), 2_461_449_600);
        let utc = Tlv { tag: Tag::UTC_TIME, value: b"260306011847Z", raw: &[] };
        assert_eq!(time(&utc).unwrap(), 1_772_759_927);
    }

    #[test]
    fn integers_are_minimal_and_non_negative() {
        assert_eq!(uint(&[0x00, 0x80], "x").unwrap(), 128);
        assert!(uint(&[0x00, 0x01], "x").is_err());
        assert!(uint(&[0x80], "x").is_err());
        assert!(uint(&[], "x").is_err());
    }
}
