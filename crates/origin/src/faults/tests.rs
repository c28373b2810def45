//! Unit tests of fault parsing, glob matching and the seeded decisions.

use super::*;

#[test]
fn parses_status_rules_with_and_without_rate() {
    let r: FaultRule = "404:/v0/seg*.ts:0.2".parse().unwrap();
    assert_eq!(r, FaultRule::status("/v0/seg*.ts", 404, 0.2));
    let r: FaultRule = "500:/v1/index.m3u8".parse().unwrap();
    assert_eq!(r, FaultRule::status("/v1/index.m3u8", 500, 1.0));
}

#[test]
fn parses_delay_rules() {
    let r: FaultRule = "delay:/v1/*:300ms".parse().unwrap();
    assert_eq!(r, FaultRule::delay("/v1/*", Duration::from_millis(300)));
    let r: FaultRule = "delay:*:1.5s:0.5".parse().unwrap();
    assert_eq!(r.action, FaultAction::Delay(Duration::from_millis(1500)));
    assert_eq!(r.rate, 0.5);
}

#[test]
fn parses_body_rules() {
    let r: FaultRule = "rate:/v0/*:200000".parse().unwrap();
    assert_eq!(r, FaultRule::body("/v0/*", BodyFault::Rate(200_000), 1.0));
    let r: FaultRule = "rate:*.ts:200k:0.5".parse().unwrap();
    assert_eq!(r, FaultRule::body("*.ts", BodyFault::Rate(200 * 1024), 0.5));
    let r: FaultRule = "RATE:*.ts:2M".parse().unwrap();
    assert_eq!(
        r.action,
        FaultAction::Body(BodyFault::Rate(2 * 1024 * 1024))
    );
    let r: FaultRule = "cut:/v0/seg*.ts:0.3".parse().unwrap();
    assert_eq!(r, FaultRule::body("/v0/seg*.ts", BodyFault::Cut, 0.3));
    let r: FaultRule = "short:*.ts".parse().unwrap();
    assert_eq!(r, FaultRule::body("*.ts", BodyFault::Short, 1.0));
    let r: FaultRule = "empty:/v1/seg*.ts:1".parse().unwrap();
    assert_eq!(r, FaultRule::body("/v1/seg*.ts", BodyFault::Empty, 1.0));
}

#[test]
fn the_first_firing_body_rule_decides_the_body() {
    let rules = [
        FaultRule::body("*.ts", BodyFault::Cut, 1.0),
        FaultRule::body("*", BodyFault::Empty, 1.0),
        FaultRule::delay("*", Duration::from_millis(5)),
    ];
    let d = decide(&rules, 1, "/v0/seg1.ts", 0);
    assert_eq!(d.body, Some(BodyFault::Cut));
    assert_eq!(d.delay, Duration::from_millis(5));
    assert_eq!(
        decide(&rules, 1, "/v0/index.m3u8", 0).body,
        Some(BodyFault::Empty)
    );
    assert_eq!(decide(&rules[2..], 1, "/v0/seg1.ts", 0).body, None);
}

#[test]
fn rejects_bad_rules_with_a_reason() {
    for bad in [
        "",
        "404",
        "404:",
        "abc:/x",
        "700:/x",
        "404:/x:1.5",
        "delay:/x",
        "delay:/x:300",
        "delay::1s",
        "rate:/x",
        "rate:/x:0",
        "rate:/x:fast",
        "rate::100k",
        "cut:",
        "cut:/x:2",
        "short::0.5",
        "drop:/x",
    ] {
        let err = bad.parse::<FaultRule>().unwrap_err();
        assert_eq!(err.input, bad);
        assert!(err.to_string().contains("expected STATUS:PATTERN"), "{err}");
    }
}

#[test]
fn display_round_trips() {
    for s in [
        "404:/v0/seg*.ts:0.2",
        "delay:/v1/*:300ms:1",
        "rate:*.ts:200k:0.5",
        "cut:/v0/*:0.3",
        "short:*:1",
        "empty:*.ts:0.1",
    ] {
        let r: FaultRule = s.parse().unwrap();
        assert_eq!(r.to_string().parse::<FaultRule>().unwrap(), r);
    }
}

#[test]
fn glob_matches_whole_paths() {
    let m = |p: &str, s: &str| glob_match(p.as_bytes(), s.as_bytes());
    assert!(m("/v0/seg*.ts", "/v0/seg00017.ts"));
    assert!(!m("/v0/seg*.ts", "/v1/seg00017.ts"));
    assert!(!m("/v0/seg*.ts", "/v0/seg00017.ts.bak"));
    assert!(m("*.m3u8", "/v0/index.m3u8"));
    assert!(m("*", "/anything/at/all"));
    assert!(m("/v?/index.m3u8", "/v1/index.m3u8"));
    assert!(m("/master.m3u8", "/master.m3u8"));
    assert!(!m("/master.m3u8", "/master.m3u8x"));
    assert!(m("*a*b*c", "xxaxxbxxc"));
    assert!(!m("*a*b*c", "xxaxxcxxb"));
}

#[test]
fn decisions_are_reproducible_and_near_the_rate() {
    let rules = vec![FaultRule::status("/v0/seg*.ts", 404, 0.2)];
    let run = |seed| {
        (0..5000u64)
            .map(|k| {
                let path = format!("/v0/seg{:05}.ts", k % 50);
                decide(&rules, seed, &path, k / 50).status.is_some()
            })
            .collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
    let fired = a.iter().filter(|&&f| f).count();
    assert!((800..1200).contains(&fired), "{fired} of 5000 at rate 0.2");
}

#[test]
fn rates_zero_and_one_are_exact_and_other_paths_untouched() {
    let rules = vec![
        FaultRule::status("/v0/*", 503, 0.0),
        FaultRule::status("/v0/*", 404, 1.0),
        FaultRule::delay("*", Duration::from_millis(5)),
    ];
    for k in 0..100 {
        let d = decide(&rules, 1, "/v0/seg1.ts", k);
        assert_eq!(d.status, Some(404));
        assert_eq!(d.delay, Duration::from_millis(5));
        assert_eq!(decide(&rules, 1, "/v1/seg1.ts", k).status, None);
    }
}

#[test]
fn faults_count_per_path() {
    let rules = vec![FaultRule::status("*", 500, 0.5)];
    let faults = Faults::new(rules.clone(), 3);
    // Interleaving requests for two paths gives each path its own sequence.
    let got: Vec<_> = (0..20)
        .map(|i| faults.next(if i % 2 == 0 { "/a" } else { "/b" }))
        .collect();
    for (i, d) in got.iter().enumerate() {
        let path = if i % 2 == 0 { "/a" } else { "/b" };
        assert_eq!(*d, decide(&rules, 3, path, (i / 2) as u64));
    }
}
