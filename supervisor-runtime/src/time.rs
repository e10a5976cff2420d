//! Deadlines that cannot overflow, and the bound on durations a spec may hold.

use std::time::Duration;

use tokio::time::Instant;

/// The longest duration a spec accepts anywhere (100 years): far beyond any useful timeout,
/// far below what would overflow a deadline ("Beyond OTP": validated durations).
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `from + after`, saturating at a point far in the future instead of panicking.
pub(crate) fn deadline(from: Instant, after: Duration) -> Instant {
    from.checked_add(after.min(MAX_DURATION))
        .or_else(|| from.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate() {
        let now = Instant::now();
        assert!(deadline(now, Duration::MAX) > now + Duration::from_secs(3600 * 24 * 365));
        assert_eq!(
            deadline(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }
}
