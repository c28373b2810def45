//! Tests for `ramp`: the absolute grid, the jitter cap, the achieved rate.

use super::*;

#[test]
fn jitter_is_capped_at_half_the_interval() {
    let schedule = RampSchedule::new(5.0, Duration::from_millis(500), 1);
    assert_eq!(schedule.interval(), Duration::from_millis(200));
    assert_eq!(schedule.max_jitter(), Duration::from_millis(100));
    let schedule = RampSchedule::new(5.0, Duration::from_millis(30), 1);
    assert_eq!(schedule.max_jitter(), Duration::from_millis(30));
}

#[test]
fn starts_sit_on_the_grid_in_order_and_keep_the_rate() {
    let mut schedule = RampSchedule::new(5.0, Duration::from_millis(200), 42);
    let offsets: Vec<Duration> = (0..1000).map(|i| schedule.offset(i)).collect();
    assert_eq!(offsets[0], Duration::ZERO);
    for (i, offset) in offsets.iter().enumerate().skip(1) {
        let grid = Duration::from_millis(200) * i as u32;
        assert!(*offset >= grid && *offset < grid + Duration::from_millis(100));
    }
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    // 999 intervals after viewer 0: the achieved rate is the configured one (sleeping
    // `interval + jitter` between starts would give about 4/s for 5/s).
    let rate = 999.0 / offsets[999].as_secs_f64();
    assert!((rate - 5.0).abs() < 0.01, "{rate}");
}

#[test]
fn same_seed_same_schedule() {
    let mut a = RampSchedule::new(10.0, Duration::from_millis(40), 9);
    let mut b = RampSchedule::new(10.0, Duration::from_millis(40), 9);
    for i in 0..50 {
        assert_eq!(a.offset(i), b.offset(i));
    }
}
