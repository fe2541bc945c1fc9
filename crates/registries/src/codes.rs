//! Deterministic numbers for the synthetic population: a seeded mixer that
//! gives every (seed, person, field) its own stream, and invertible affine
//! maps that turn an index into an identifier body and back.
//!
//! The maps are why the emulator keeps no index: a SNILS, INN, passport,
//! OGRN, cadastral number or UIN is decoded to the index of the person (or
//! company) it belongs to, that record is generated, and the lookup succeeds
//! only if the regenerated identifier is the one asked for. Memory stays
//! constant whatever the population size, and start-up is instant.
//!
//! Nothing here is cryptographic: it only has to look varied and be unique.

/// SplitMix64's finaliser: a fast, well-mixed 64-bit permutation.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small deterministic generator for one record's fields.
#[derive(Debug, Clone)]
pub struct Stream(u64);

impl Stream {
    /// The stream of `field` for item `index` under `seed`.
    pub fn new(seed: u64, index: u64, field: u64) -> Stream {
        Stream(mix(mix(seed ^ 0x9e37_79b9_7f4a_7c15)
            .wrapping_add(mix(index))
            ^ mix(field)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n` > 0; 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift: no modulo bias worth speaking of here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// `x → (a·x + b) mod m` with `gcd(a, m) = 1`: a bijection of `0..m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Affine {
    m: u64,
    a: u64,
    b: u64,
    a_inv: u64,
}

impl Affine {
    /// A map of `0..m` drawn from `seed` (`m` ≥ 1).
    pub fn new(m: u64, seed: u64) -> Affine {
        let m = m.max(1);
        let mut s = Stream::new(seed, m, 0xaff1);
        // Start near the golden ratio of m so neighbours land far apart.
        let mut a = ((m as f64 * 0.618_033_988_75) as u64 + s.below(m.max(2) / 7 + 1)) % m;
        if a == 0 {
            a = 1;
        }
        while gcd(a, m) != 1 {
            a = if a + 1 >= m { 1 } else { a + 1 };
        }
        let b = s.below(m);
        let a_inv = inverse(a, m);
        Affine { m, a, b, a_inv }
    }

    pub fn modulus(&self) -> u64 {
        self.m
    }

    /// The image of `x` (taken mod m).
    pub fn forward(&self, x: u64) -> u64 {
        ((u128::from(self.a) * u128::from(x % self.m) + u128::from(self.b)) % u128::from(self.m))
            as u64
    }

    /// The `x` whose image is `y`, or `None` when `y` is outside `0..m`.
    pub fn back(&self, y: u64) -> Option<u64> {
        if y >= self.m {
            return None;
        }
        let shifted =
            (u128::from(y) + u128::from(self.m) - u128::from(self.b)) % u128::from(self.m);
        Some(((shifted * u128::from(self.a_inv)) % u128::from(self.m)) as u64)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The inverse of `a` mod `m` (extended Euclid; `gcd(a, m) = 1`).
fn inverse(a: u64, m: u64) -> u64 {
    if m == 1 {
        return 0;
    }
    let (mut t, mut new_t) = (0i128, 1i128);
    let (mut r, mut new_r) = (i128::from(m), i128::from(a));
    while new_r != 0 {
        let q = r / new_r;
        (t, new_t) = (new_t, t - q * new_t);
        (r, new_r) = (new_r, r - q * new_r);
    }
    if t < 0 {
        t += i128::from(m);
    }
    t as u64
}

/// `n` as exactly `width` decimal digits (the low ones if it is longer).
pub fn digits(n: u64, width: usize) -> String {
    let s = format!("{n:0width$}");
    s[s.len() - width..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_maps_are_bijections_and_invert() {
        for (m, seed) in [
            (1, 0),
            (2, 1),
            (10, 7),
            (1_000, 42),
            (998_000_000, 3),
            (10_000_000, 9),
        ] {
            let f = Affine::new(m, seed);
            for x in (0..m).step_by((m / 500).max(1) as usize) {
                assert_eq!(f.back(f.forward(x)), Some(x), "m={m} x={x}");
            }
            assert_eq!(f.back(m), None);
        }
        let f = Affine::new(1_000, 5);
        let mut seen: Vec<u64> = (0..1_000).map(|x| f.forward(x)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 1_000);
    }

    #[test]
    fn streams_are_deterministic_and_differ_by_field() {
        let a: Vec<u64> = (0..4).map(|_| Stream::new(1, 2, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Stream::new(1, 2, 3).next_u64(),
            Stream::new(1, 2, 4).next_u64()
        );
        assert_ne!(
            Stream::new(1, 2, 3).next_u64(),
            Stream::new(2, 2, 3).next_u64()
        );
        let mut s = Stream::new(0, 0, 0);
        assert!((0..10_000).all(|_| s.below(7) < 7));
        assert!((0..1_000).all(|_| (3..=5).contains(&s.range(3, 5))));
        assert_eq!(digits(42, 5), "00042");
        assert_eq!(digits(123_456, 3), "456");
    }
}
