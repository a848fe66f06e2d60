//! Arithmetic in GF(256) for the fountain code's version-2 repair parts (decision 0020).
//!
//! The field is GF(2)[x] / (x⁸ + x⁴ + x³ + x² + 1), polynomial `0x11D`, with generator 2: the
//! octet field of RaptorQ (RFC 6330 §5.7) and of QR codes' own Reed–Solomon blocks. Addition is
//! XOR; multiplication goes through `const` log/exp tables (768 bytes, built at compile time).
//!
//! Contract: total functions on bytes, no panic; `inv(0)` is 0 (the caller never divides by 0:
//! a pivot is non-zero by construction).

/// The reduction polynomial x⁸ + x⁴ + x³ + x² + 1.
pub const POLYNOMIAL: u16 = 0x11D;

/// `EXP[i] = 2^i` for i in 0..510 (doubled so that `LOG[a] + LOG[b]` needs no reduction);
/// `LOG[a]` for a ≠ 0 (`LOG[0]` is unused and 0). Evaluated at compile time, so an index out of
/// range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
const TABLES: ([u8; 512], [u8; 256]) = {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x as u8;
        exp[i + 255] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= POLYNOMIAL;
        }
        i += 1;
    }
    (exp, log)
};
static EXP: [u8; 512] = TABLES.0;
static LOG: [u8; 256] = TABLES.1;

fn exp(i: usize) -> u8 {
    EXP.get(i).copied().unwrap_or(0)
}

fn log(a: u8) -> usize {
    usize::from(LOG.get(usize::from(a)).copied().unwrap_or(0))
}

/// `a · b` (the rows use [`mul_add`]; this one is the tests' check of the tables).
#[cfg(test)]
pub fn mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 { 0 } else { exp(log(a) + log(b)) }
}

/// The inverse of `a` (`a · inv(a) = 1`); 0 for 0.
pub fn inv(a: u8) -> u8 {
    if a == 0 { 0 } else { exp(255 - log(a)) }
}

/// `2 · a`.
fn double(a: u8) -> u8 {
    let wide = u16::from(a) << 1;
    (if wide & 0x100 != 0 { wide ^ POLYNOMIAL } else { wide }) as u8
}

/// The 256 products `c · x`, for a row operation by one coefficient: `c · 2k = 2 · (c · k)` and
/// `c · (2k + 1) = c · 2k + c`, a shift and two XORs an entry.
fn products(c: u8) -> [u8; 256] {
    let mut t = [0u8; 256];
    if let Some(one) = t.get_mut(1) {
        *one = c;
    }
    for k in 1..128 {
        let d = double(t.get(k).copied().unwrap_or(0));
        if let Some([even, odd]) = t.get_mut(2 * k..2 * k + 2) {
            *even = d;
            *odd = d ^ c;
        }
    }
    t
}

/// `dst += c · src`, element-wise over the shorter of the two (addition is XOR).
pub fn mul_add(dst: &mut [u8], src: &[u8], c: u8) {
    match c {
        0 => {}
        1 => dst.iter_mut().zip(src).for_each(|(d, s)| *d ^= s),
        _ => {
            let t = products(c);
            for (d, s) in dst.iter_mut().zip(src) {
                *d ^= t.get(usize::from(*s)).copied().unwrap_or(0);
            }
        }
    }
}

/// `row = c · row`.
pub fn scale(row: &mut [u8], c: u8) {
    if c != 1 {
        let t = products(c);
        for x in row.iter_mut() {
            *x = t.get(usize::from(*x)).copied().unwrap_or(0);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    /// Shift-and-add multiplication modulo 0x11D, written apart from the tables.
    fn slow_mul(a: u8, b: u8) -> u8 {
        let (mut a, mut b, mut p) = (u16::from(a), b, 0u16);
        while b != 0 {
            if b & 1 != 0 {
                p ^= a;
            }
            a <<= 1;
            if a & 0x100 != 0 {
                a ^= POLYNOMIAL;
            }
            b >>= 1;
        }
        p as u8
    }

    #[test]
    fn tables_match_the_published_powers_and_logs_of_2() {
        // RFC 6330 §5.7.3 OCT_EXP and §5.7.4 OCT_LOG (also the QR-code Reed–Solomon tables).
        assert_eq!(&EXP[..16], &[1, 2, 4, 8, 16, 32, 64, 128, 29, 58, 116, 232, 205, 135, 19, 38]);
        assert_eq!(&EXP[24..28], &[143, 3, 6, 12]);
        assert_eq!(&LOG[1..11], &[0, 1, 25, 2, 50, 26, 198, 3, 223, 51]);
        assert_eq!(EXP[254], 142, "2^254 = 2^-1");
        assert_eq!(mul(2, 142), 1);
        assert_eq!(mul(0x80, 2), 0x1D, "x^8 reduces to x^4 + x^3 + x^2 + 1");
    }

    #[test]
    fn every_product_matches_shift_and_add_and_every_inverse_inverts() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(mul(a, b), slow_mul(a, b), "{a} · {b}");
            }
            if a != 0 {
                assert_eq!(mul(a, inv(a)), 1, "{a}");
            }
        }
        assert_eq!(inv(0), 0);
    }

    #[test]
    fn row_operations_are_mul_and_add_element_wise() {
        let src: Vec<u8> = (0..=255u8).collect();
        for c in [0u8, 1, 2, 0x1D, 0xFF] {
            let mut dst: Vec<u8> = (0..=255u8).rev().collect();
            mul_add(&mut dst, &src, c);
            for (i, d) in dst.iter().enumerate() {
                assert_eq!(*d, (255 - i as u8) ^ slow_mul(c, i as u8), "c = {c}, i = {i}");
            }
            let mut row = src.clone();
            scale(&mut row, c);
            assert!(row.iter().enumerate().all(|(i, x)| *x == slow_mul(c, i as u8)), "c = {c}");
        }
    }
}
