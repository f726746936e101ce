//! Random numbers: one seed per scenario, independent named streams derived
//! from it, and the few distributions the model needs.
//!
//! The generator is PCG XSL RR 128/64 (MCG variant) from `rand_pcg`, an
//! algorithm fixed by name, so a seed gives the same run in every browser and
//! natively. Transcendental functions come from `libm` (pure Rust) rather than
//! the platform's math library, whose last-bit results differ between glibc
//! and wasm32.

use rand::Rng as _;
use rand_pcg::Pcg64Mcg;

/// Independent random streams. Keeping build-time draws (who is where, who
/// has which traits) apart from run-time draws means that moving a knob that
/// only matters at run time leaves the population exactly the same.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    Population = 1,
    Engine = 2,
}

/// SplitMix64 finaliser: a bijective scrambler used to derive stream seeds and
/// per-peer hashes.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from a hash, for per-peer values that must not
/// cost memory (they are recomputed when needed).
pub fn hash_unit(seed: u64, stream: u64, index: u64) -> f64 {
    let h = mix64(mix64(seed ^ mix64(stream)) ^ index);
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[derive(Clone)]
pub struct Rng(Pcg64Mcg);

impl Rng {
    pub fn new(seed: u64, stream: Stream) -> Self {
        let s = stream as u64;
        let hi = mix64(seed ^ mix64(s));
        let lo = mix64(hi ^ 0xD1B5_4A32_D192_ED03);
        Rng(Pcg64Mcg::new(((hi as u128) << 64) | lo as u128 | 1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1), 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); n > 0. Lemire's multiply-and-reject, unbiased.
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        let mut m = (self.next_u64() >> 32) * n as u64;
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = (self.next_u64() >> 32) * n as u64;
            }
        }
        (m >> 32) as u32
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -libm::log(1.0 - self.unit()) * mean
    }

    /// Number of failures before the first success of independent trials with
    /// success probability `p`; `u64::MAX` when `p` is 0.
    pub fn failures_before_success(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 0;
        }
        if p <= 0.0 {
            return u64::MAX;
        }
        let u = 1.0 - self.unit();
        // k = floor(x), without a call to floor: u is in (0, 1] and p in
        // (0, 1), so x is +0, -0, positive or +inf (or NaN for a NaN p),
        // and for such x, `x >= 1e18` is `floor(x) >= 1e18` (1e18 is a whole
        // number) and `x as u64`, which truncates, is `floor(x) as u64`.
        let x = libm::log(u) / libm::log1p(-p);
        if x >= 1e18 {
            u64::MAX
        } else {
            x as u64
        }
    }

    /// A standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }

    /// Successes in `n` independent trials of probability `p`: exact for
    /// small `n`, the normal approximation (rounded, clamped) beyond.
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        let var = n as f64 * p * (1.0 - p);
        if n <= 32 || var < 9.0 {
            if n <= 256 {
                return (0..n).filter(|_| self.unit() < p).count() as u64;
            }
            // Rare outcomes in many trials: skip ahead between them.
            let (rare, flip) = if p < 0.5 { (p, false) } else { (1.0 - p, true) };
            let mut k = 0;
            let mut i = self.failures_before_success(rare);
            while i < n {
                k += 1;
                i = i.saturating_add(1).saturating_add(self.failures_before_success(rare));
            }
            return if flip { n - k } else { k };
        }
        let x = n as f64 * p + libm::sqrt(var) * self.normal();
        libm::round(x).clamp(0.0, n as f64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7, Stream::Engine);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7, Stream::Engine);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7, Stream::Population);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut r = Rng::new(1, Stream::Engine);
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }

    #[test]
    fn the_geometric_draw_is_the_floor_of_its_quotient() {
        // The draw skips the call to floor; it must give what floor gave,
        // for every p, from the tiniest to the nearest below 1.
        let reference = |r: &mut Rng, p: f64| -> u64 {
            if p >= 1.0 {
                return 0;
            }
            if p <= 0.0 {
                return u64::MAX;
            }
            let u = 1.0 - r.unit();
            let k = libm::floor(libm::log(u) / libm::log1p(-p));
            if k >= 1e18 {
                u64::MAX
            } else {
                k as u64
            }
        };
        let (mut a, mut b) = (Rng::new(11, Stream::Engine), Rng::new(11, Stream::Engine));
        let mut ps = Rng::new(12, Stream::Population);
        let edges = [f64::MIN_POSITIVE, 5e-324, 1e-300, 1e-18, 1e-9, 0.5, 1.0 - f64::EPSILON, f64::NAN];
        for i in 0..400_000 {
            let p = match i % 4 {
                0 => ps.unit(),
                1 => libm::pow(10.0, -30.0 * ps.unit()),
                2 => 1.0 - libm::pow(10.0, -16.0 * ps.unit()),
                _ => edges[i / 4 % edges.len()],
            };
            assert_eq!(a.failures_before_success(p), reference(&mut b, p), "p = {p}");
        }
    }

    #[test]
    fn geometric_has_the_right_mean() {
        let mut r = Rng::new(3, Stream::Engine);
        let n = 20_000;
        let mean = (0..n).map(|_| r.failures_before_success(0.2) as f64).sum::<f64>() / n as f64;
        assert!((mean - 4.0).abs() < 0.2, "{mean}");
    }
}
