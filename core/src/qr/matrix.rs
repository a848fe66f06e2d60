//! The fountain decoder's linear system: parts kept in reduced row-echelon form, over GF(2)
//! (coefficients as bit sets, rows XORed) or GF(256) (a coefficient byte per fragment, rows
//! combined with [`gf256::mul_add`]).
//!
//! ```text
//!  part ──coefficients──► row (coefficients ‖ data) ──reduce by the pivots──► zero: redundant
//!                                                                  └─► pivot: back-substitute, keep
//! ```
//!
//! Contract: at most `n` rows, each `n/8 + F` (GF(2)) or `n + F` (GF(256)) bytes; a part costs
//! at most 2n row operations. A row's first non-zero coefficient is its pivot and is 1, and
//! every other row is 0 in that column, so the data of the pivot rows, in column order, is the
//! message once the rank is `n`.

use super::coefficients::{self, Field, bit};
use super::gf256;

/// The rows of one message.
#[derive(Debug, Clone)]
pub(super) enum Matrix {
    Gf2(Gf2Rows),
    Gf256(Gf256Rows),
}

#[derive(Debug, Clone)]
pub(super) struct Gf2Rows {
    rows: Vec<(Vec<u64>, Vec<u8>)>,
    /// `pivots[c]` is the row whose pivot is column c.
    pivots: Vec<Option<usize>>,
}

#[derive(Debug, Clone)]
pub(super) struct Gf256Rows {
    /// Each row is `n` coefficients then the data.
    rows: Vec<Vec<u8>>,
    pivots: Vec<Option<usize>>,
}

impl Matrix {
    /// An empty system of `n` unknown fragments.
    pub(super) fn new(field: Field, n: usize) -> Self {
        match field {
            Field::Gf2 => Self::Gf2(Gf2Rows { rows: Vec::new(), pivots: vec![None; n] }),
            Field::Gf256 => Self::Gf256(Gf256Rows { rows: Vec::new(), pivots: vec![None; n] }),
        }
    }

    /// Independent rows so far.
    pub(super) fn rank(&self) -> usize {
        match self {
            Self::Gf2(m) => m.rows.len(),
            Self::Gf256(m) => m.rows.len(),
        }
    }

    /// The number of unknowns, `n`.
    pub(super) fn columns(&self) -> usize {
        match self {
            Self::Gf2(m) => m.pivots.len(),
            Self::Gf256(m) => m.pivots.len(),
        }
    }

    /// Bytes held in rows (coefficients and data).
    pub(super) fn held_bytes(&self) -> usize {
        match self {
            Self::Gf2(m) => m.rows.iter().map(|(c, d)| c.len() * 8 + d.len()).sum(),
            Self::Gf256(m) => m.rows.iter().map(Vec::len).sum(),
        }
    }

    /// Adds part `seq` (its coefficients follow from `seq` and `checksum`); `true` if it
    /// raised the rank, `false` if it was redundant.
    pub(super) fn insert(&mut self, seq: u32, checksum: [u8; 4], data: &[u8]) -> bool {
        match self {
            Self::Gf2(m) => m.insert(coefficients::bits(seq, m.pivots.len(), checksum), data.to_vec()),
            Self::Gf256(m) => {
                let mut row = coefficients::bytes(seq, m.pivots.len(), checksum);
                row.extend_from_slice(data);
                m.insert(row)
            }
        }
    }

    /// The data of the pivot rows in column order, once the rank is `n`.
    pub(super) fn solution(&self) -> Option<Vec<u8>> {
        if self.rank() < self.columns() {
            return None;
        }
        let mut out = Vec::new();
        match self {
            Self::Gf2(m) => {
                for (_, d) in m.pivots.iter().flatten().filter_map(|r| m.rows.get(*r)) {
                    out.extend_from_slice(d);
                }
            }
            Self::Gf256(m) => {
                let n = m.pivots.len();
                for row in m.pivots.iter().flatten().filter_map(|r| m.rows.get(*r)) {
                    out.extend_from_slice(row.get(n..).unwrap_or_default());
                }
            }
        }
        Some(out)
    }
}

fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

fn xor_words(dst: &mut [u64], src: &[u64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

impl Gf2Rows {
    fn insert(&mut self, mut coef: Vec<u64>, mut data: Vec<u8>) -> bool {
        let n = self.pivots.len();
        for col in 0..n {
            if bit(&coef, col) {
                if let Some((rc, rd)) = self.pivots.get(col).copied().flatten().and_then(|r| self.rows.get(r)) {
                    xor_words(&mut coef, rc);
                    xor_into(&mut data, rd);
                }
            }
        }
        let Some(pivot) = (0..n).find(|&c| bit(&coef, c)) else {
            return false;
        };
        for (rc, rd) in &mut self.rows {
            if bit(rc, pivot) {
                xor_words(rc, &coef);
                xor_into(rd, &data);
            }
        }
        if let Some(slot) = self.pivots.get_mut(pivot) {
            *slot = Some(self.rows.len());
        }
        self.rows.push((coef, data));
        true
    }
}

impl Gf256Rows {
    fn insert(&mut self, mut row: Vec<u8>) -> bool {
        let n = self.pivots.len();
        // A pivot row is 0 before its pivot column, so each operation starts at that column.
        for col in 0..n {
            let c = row.get(col).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            if let Some(p) = self.pivots.get(col).copied().flatten().and_then(|r| self.rows.get(r)) {
                gf256::mul_add(row.get_mut(col..).unwrap_or_default(), p.get(col..).unwrap_or_default(), c);
            }
        }
        let Some(pivot) = row.iter().take(n).position(|c| *c != 0) else {
            return false;
        };
        let lead = row.get(pivot).copied().unwrap_or(1);
        let new = row.get_mut(pivot..).unwrap_or_default();
        gf256::scale(new, gf256::inv(lead));
        for r in &mut self.rows {
            let c = r.get(pivot).copied().unwrap_or(0);
            if c != 0 {
                gf256::mul_add(r.get_mut(pivot..).unwrap_or_default(), new, c);
            }
        }
        if let Some(slot) = self.pivots.get_mut(pivot) {
            *slot = Some(self.rows.len());
        }
        self.rows.push(row);
        true
    }
}
