//! Tests for `backoff`: the nominal sequence, jitter bounds, resets.

use super::*;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[test]
fn nominal_sequence_is_250ms_times_1_7_to_the_attempt() {
    let policy = BackoffPolicy::default();
    let got: Vec<u64> = (0..9)
        .map(|a| ms(policy.nominal(a)).round() as u64)
        .collect();
    // 250 × 1.7^n: 250, 425, 722.5, 1228.25, 2088.0, 3549.7, then the 5 s cap.
    assert_eq!(got, [250, 425, 723, 1228, 2088, 3550, 5000, 5000, 5000]);
}

#[test]
fn jitter_stays_within_twenty_percent_and_is_seeded() {
    let policy = BackoffPolicy::default();
    let mut a = Backoff::new(policy, 7);
    let mut b = Backoff::new(policy, 7);
    for attempt in 0..20 {
        let (delay, n) = a.next_delay();
        assert_eq!(n, attempt);
        assert_eq!(b.next_delay().0, delay, "same seed, same jitter");
        let nominal = ms(policy.nominal(attempt));
        let got = ms(delay);
        assert!(
            got >= nominal * 0.8 - 1e-6 && got < nominal * 1.2 + 1e-6,
            "{got} vs {nominal}"
        );
    }
}

#[test]
fn long_or_clean_runs_reset_the_attempts() {
    let policy = BackoffPolicy {
        jitter: 0.0,
        ..BackoffPolicy::default()
    };
    let mut backoff = Backoff::new(policy, 1);
    backoff.record_exit(Duration::from_secs(1), false);
    assert_eq!(backoff.next_delay(), (Duration::from_millis(250), 0));
    backoff.record_exit(Duration::from_secs(29), false);
    assert_eq!(backoff.next_delay().1, 1);
    backoff.record_exit(Duration::from_secs(30), false);
    assert_eq!(backoff.next_delay().1, 0);
    backoff.record_exit(Duration::from_secs(1), false);
    assert_eq!(backoff.next_delay().1, 1);
    backoff.record_exit(Duration::ZERO, true);
    assert_eq!(backoff.next_delay().1, 0);
}
