//! Stateless hashing and a tiny splitmix64 stream. Every generated value is a pure function of the seed
//! and the indices that name it, so nothing depends on generation order, global state or the clock.

use uuid::Uuid;

pub(crate) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Domain-separation tags: each kind of generated value hashes its own tag first.
pub(crate) mod tag {
    pub const SUBSCRIPTION: u64 = 1;
    pub const ROLES: u64 = 2;
    pub const RESOURCE: u64 = 3;
    pub const LAG: u64 = 4;
    pub const QUANTITY: u64 = 5;
    pub const SCHEDULE: u64 = 6;
    pub const UNKNOWN_METER: u64 = 7;
    pub const DELEGATED_PROVIDER: u64 = 8;
    pub const LOWER_CASE: u64 = 9;
    pub const RESOURCE_GROUPS: u64 = 10;
}

/// The splitmix64 finaliser: a bijective, well-mixing 64-bit hash.
#[inline(always)]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed and a sequence of indices.
pub(crate) fn hash(seed: u64, parts: &[u64]) -> u64 {
    let mut x = mix(seed.wrapping_add(GOLDEN));
    for &p in parts {
        x = mix(x ^ mix(p.wrapping_add(GOLDEN)));
    }
    x
}

/// Element `i` of the splitmix64 stream whose state is `key`: the per-hour hash of the hot loops.
#[inline(always)]
pub(crate) fn at(key: u64, i: i64) -> u64 {
    mix(key.wrapping_add((i as u64).wrapping_mul(GOLDEN)))
}

/// A uniform value in [0, 1) from the top 53 bits.
#[inline(always)]
pub(crate) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A sequential splitmix64 stream, used only while building the catalogue, always seeded from
/// `hash(seed, indices)` so that each entity's values do not depend on other entities.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, parts: &[u64]) -> Rng {
        Rng(hash(seed, parts))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in 0..n (0 when n is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in lo..=hi.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    pub(crate) fn unit(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(crate) fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Log-uniform in [lo, hi): spreads sizes over orders of magnitude.
    pub(crate) fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo * (hi / lo).powf(self.unit())
    }

    /// A version-4 GUID from the stream.
    pub(crate) fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}
