//! The amounts of the fresh notes a refresh asks for (docs/decisions/0007-refresh-denominations.md).
//!
//! A value is split greedily into the 1-2-5 series (1, 2, 5, 10, 20, 50, …), largest first:
//! at most three notes per decade (9 = 5 + 2 + 2), so at most 60 notes for any `u64` and
//! fewer than [`MAX_BUNDLE_HEADS`](crate::token::MAX_BUNDLE_HEADS): every refreshed total can be
//! paid in one payment. Any amount up to the total is covered by a few of them with at most one
//! note split, and each fresh note is at depth 0, so it takes `max_chain_depth` further splits.

/// The largest 1-2-5 value not above `v` (`v > 0`).
fn largest_125(v: u64) -> u64 {
    let mut decade: u64 = 1;
    while decade <= v / 10 {
        decade *= 10;
    }
    // decade ≤ v < 10 × decade
    if let Some(five) = decade.checked_mul(5).filter(|f| *f <= v) {
        five
    } else if let Some(two) = decade.checked_mul(2).filter(|t| *t <= v) {
        two
    } else {
        decade
    }
}

/// The fresh notes' amounts for `total`, largest first; their sum is `total`. Empty for 0.
pub fn denominations(total: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut left = total;
    while left > 0 {
        let d = largest_125(left);
        out.push(d);
        left -= d;
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn amounts_add_up_and_stay_few() {
        for total in (1..5_000u64).chain([19_968, 1_000_000, u64::MAX, u64::MAX - 1]) {
            let d = denominations(total);
            assert_eq!(d.iter().map(|&a| u128::from(a)).sum::<u128>(), u128::from(total));
            assert!(d.len() <= 60, "{total}: {}", d.len());
            assert!(d.windows(2).all(|w| w[0] >= w[1]));
        }
        assert_eq!(denominations(19_968), vec![10_000, 5_000, 2_000, 2_000, 500, 200, 200, 50, 10, 5, 2, 1]);
        assert_eq!(denominations(70), vec![50, 20]);
        assert!(denominations(0).is_empty());
    }
}
