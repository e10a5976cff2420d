//! Delays before a restart (beyond OTP; see SEMANTICS "Beyond OTP").

use std::time::Duration;

use crate::error::{BackoffRule, SpecRule};
use crate::time::MAX_DURATION;

/// How long a child waits before each restart.
///
/// The level grows with each restart of the child and goes back to zero once an incarnation has
/// run for `reset_after` without failing. Restart intensity still counts each restart at the
/// moment of the exit, not when the delayed restart happens.
///
/// ```
/// use std::time::Duration;
/// use supervisor::Backoff;
///
/// let b = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10))
///     .multiplier(2.0)
///     .jitter(0.1)
///     .reset_after(Duration::from_secs(60));
/// assert_eq!(b.nominal_delay(0), Duration::from_millis(100));
/// assert_eq!(b.nominal_delay(3), Duration::from_millis(800));
/// assert_eq!(b.nominal_delay(30), Duration::from_secs(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "a builder does nothing until it is used"]
pub struct Backoff {
    kind: Kind,
    reset_after: Option<Duration>,
    /// A setting given to a kind it means nothing for, reported by validation.
    misuse: Option<BackoffRule>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    None,
    Fixed(Duration),
    Linear {
        initial: Duration,
        step: Duration,
        max: Duration,
    },
    Exponential {
        initial: Duration,
        max: Duration,
        multiplier: f64,
        jitter: f64,
    },
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::NONE
    }
}

impl Backoff {
    /// Restart at once (the default, S1.3).
    pub const NONE: Backoff = Backoff {
        kind: Kind::None,
        reset_after: None,
        misuse: None,
    };

    /// The same delay before every restart.
    pub const fn fixed(delay: Duration) -> Self {
        Backoff {
            kind: Kind::Fixed(delay),
            reset_after: None,
            misuse: None,
        }
    }

    /// `initial`, then `initial + step`, `initial + 2 step`, ..., capped at `max`.
    pub const fn linear(initial: Duration, step: Duration, max: Duration) -> Self {
        Backoff {
            kind: Kind::Linear { initial, step, max },
            reset_after: None,
            misuse: None,
        }
    }

    /// `initial`, then multiplied by the multiplier (2 by default) at each restart, capped at
    /// `max`.
    pub const fn exponential(initial: Duration, max: Duration) -> Self {
        Backoff {
            kind: Kind::Exponential {
                initial,
                max,
                multiplier: 2.0,
                jitter: 0.0,
            },
            reset_after: None,
            misuse: None,
        }
    }

    /// Sets the growth factor of an exponential backoff (at least 1). On another kind it is a
    /// validation error ([`BackoffRule::NotExponential`]), never silently ignored.
    pub const fn multiplier(mut self, factor: f64) -> Self {
        if let Kind::Exponential {
            ref mut multiplier, ..
        } = self.kind
        {
            *multiplier = factor;
        } else {
            self.misuse = Some(BackoffRule::NotExponential);
        }
        self
    }

    /// Spreads each exponential delay uniformly over `delay * (1 ± jitter)`, `jitter` in
    /// `0..=1`, so that siblings failing together do not restart in lockstep; the cap still
    /// holds.
    ///
    /// On another kind it is a validation error ([`BackoffRule::NotExponential`]).
    pub const fn jitter(mut self, fraction: f64) -> Self {
        if let Kind::Exponential { ref mut jitter, .. } = self.kind {
            *jitter = fraction;
        } else {
            self.misuse = Some(BackoffRule::NotExponential);
        }
        self
    }

    /// Goes back to the first delay once an incarnation has run this long without failing.
    /// Without it the level only grows (up to the cap).
    pub const fn reset_after(mut self, after: Duration) -> Self {
        self.reset_after = Some(after);
        self
    }

    /// `true` for [`Backoff::NONE`] (and not for `NONE` given a setting it has no use for,
    /// which validation reports).
    pub const fn is_none(&self) -> bool {
        matches!(self.kind, Kind::None) && self.misuse.is_none()
    }

    /// The `reset_after` duration, if set.
    pub const fn reset_period(&self) -> Option<Duration> {
        self.reset_after
    }

    /// The delay before restart number `level` (0 for the first), without jitter.
    pub fn nominal_delay(&self, level: u32) -> Duration {
        match self.kind {
            Kind::None => Duration::ZERO,
            Kind::Fixed(d) => d,
            Kind::Linear { initial, step, max } => {
                initial.saturating_add(step.saturating_mul(level)).min(max)
            }
            Kind::Exponential {
                initial,
                max,
                multiplier,
                ..
            } => {
                // A multiplier below 1 is rejected by validation; here it only must not panic.
                let factor = multiplier.max(1.0).powi(level.min(i32::MAX as u32) as i32);
                let secs = initial.as_secs_f64() * factor;
                if !secs.is_finite() || secs >= max.as_secs_f64() {
                    max
                } else {
                    Duration::try_from_secs_f64(secs).unwrap_or(max)
                }
            }
        }
    }

    /// The delay before restart number `level`, with jitter drawn from `unit` (a number in
    /// `0..1`).
    pub(crate) fn delay(&self, level: u32, unit: f64) -> Duration {
        let nominal = self.nominal_delay(level);
        match self.kind {
            Kind::Exponential { jitter, max, .. } if jitter > 0.0 => {
                let factor = 1.0 + jitter.clamp(0.0, 1.0) * (2.0 * unit - 1.0);
                Duration::try_from_secs_f64((nominal.as_secs_f64() * factor).max(0.0))
                    .unwrap_or(max)
                    .min(max)
            }
            _ => nominal,
        }
    }

    pub(crate) fn check(&self) -> Result<(), SpecRule> {
        if let Some(rule) = self.misuse {
            return Err(SpecRule::Backoff(rule));
        }
        let too_large = |d: Duration| d > MAX_DURATION;
        match self.kind {
            Kind::None => {}
            Kind::Fixed(d) if too_large(d) => {
                return Err(SpecRule::DurationTooLarge("the backoff delay"))
            }
            Kind::Fixed(_) => {}
            Kind::Linear { initial, step, max } => {
                if too_large(initial) || too_large(step) || too_large(max) {
                    return Err(SpecRule::DurationTooLarge("a backoff delay"));
                }
                if initial > max {
                    return Err(SpecRule::Backoff(BackoffRule::InitialAboveMax));
                }
            }
            Kind::Exponential {
                initial,
                max,
                multiplier,
                jitter,
            } => {
                if too_large(initial) || too_large(max) {
                    return Err(SpecRule::DurationTooLarge("a backoff delay"));
                }
                if initial > max {
                    return Err(SpecRule::Backoff(BackoffRule::InitialAboveMax));
                }
                if multiplier.is_nan() || multiplier < 1.0 {
                    return Err(SpecRule::Backoff(BackoffRule::MultiplierBelowOne));
                }
                if !(0.0..=1.0).contains(&jitter) {
                    return Err(SpecRule::Backoff(BackoffRule::JitterOutOfRange));
                }
            }
        }
        match self.reset_after {
            Some(d) if too_large(d) => Err(SpecRule::DurationTooLarge("backoff reset_after")),
            _ => Ok(()),
        }
    }
}

/// A small xorshift generator for jitter: seeded per supervisor, no dependency, not for secrets.
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Self {
        use std::hash::{BuildHasher, RandomState};
        Jitter(RandomState::new().hash_one(0x5eed_u64) | 1)
    }

    /// From a given seed: a test kit's, so that a run with jitter replays (S22.2).
    pub(crate) fn seeded(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    pub(crate) fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn linear_grows_by_step_and_caps() {
        let b = Backoff::linear(MS * 10, MS * 5, MS * 22);
        let got: Vec<_> = (0..5).map(|l| b.nominal_delay(l)).collect();
        assert_eq!(got, [MS * 10, MS * 15, MS * 20, MS * 22, MS * 22]);
    }

    #[test]
    fn exponential_jitter_stays_in_band_and_under_cap() {
        let b = Backoff::exponential(MS * 100, MS * 1000).jitter(0.5);
        let mut j = Jitter::new();
        for _ in 0..1000 {
            let d = b.delay(1, j.unit());
            assert!(d >= MS * 100 && d <= MS * 300, "{d:?}");
            let capped = b.delay(10, j.unit());
            assert!(capped <= MS * 1000 && capped >= MS * 500, "{capped:?}");
        }
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(Backoff::exponential(MS * 10, MS).check().is_err());
        assert!(Backoff::exponential(MS, MS * 10)
            .multiplier(0.5)
            .check()
            .is_err());
        assert!(Backoff::exponential(MS, MS * 10)
            .jitter(1.5)
            .check()
            .is_err());
        assert!(Backoff::linear(MS * 10, MS, MS).check().is_err());
        assert!(Backoff::exponential(MS, MS * 10)
            .jitter(1.0)
            .check()
            .is_ok());
    }
}
