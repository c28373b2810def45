//! Injected faults: `status for path pattern at rate` and added latency, decided by a seeded hash.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// What a firing [`FaultRule`] does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status (and a short text body) instead of the real response.
    Status(u16),
    /// Wait this long before answering (the answer itself is unchanged).
    Delay(Duration),
}

/// One fault: for requests whose path matches `pattern`, apply `action` with probability `rate`.
///
/// `pattern` is a glob over the request path without the query string: `*` matches any run
/// of characters (including `/`), `?` one character, everything else itself; the whole
/// path must match (`/v0/seg*.ts`, `*.m3u8`, `/master.m3u8`).
///
/// **Determinism.** Whether rule `r` fires for the `k`-th request (counting from 0) that the
/// origin has seen for a given path is a pure function of `(seed, r, path, k)`, see
/// [`decide`]. Requests for different paths never influence each other, so a run in which
/// each viewer asks for each path in turn gets the same decisions whatever the thread
/// scheduling; only when several clients race for the *same* path is it undetermined which
/// of them is the `k`-th. Rates 0 and 1 are exact.
///
/// The command-line form (see [`FromStr`]) is `STATUS:PATTERN[:RATE]` or
/// `delay:PATTERN:DURATION[:RATE]`, with `RATE` in `[0, 1]` (default 1) and `DURATION` like
/// `300ms`, `2s` or `1.5s`:
///
/// ```
/// use hls_swarm_origin::{FaultAction, FaultRule};
/// use std::time::Duration;
///
/// let rule: FaultRule = "404:/v0/seg*.ts:0.2".parse().unwrap();
/// assert_eq!(rule.action, FaultAction::Status(404));
/// assert!(rule.matches("/v0/seg00017.ts"));
/// let slow: FaultRule = "delay:/v1/*:300ms".parse().unwrap();
/// assert_eq!(slow.action, FaultAction::Delay(Duration::from_millis(300)));
/// assert_eq!(slow.rate, 1.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    /// Glob over the request path.
    pub pattern: String,
    /// What happens when the rule fires.
    pub action: FaultAction,
    /// Probability in `[0, 1]` that a matching request is affected.
    pub rate: f64,
}

impl FaultRule {
    /// A rule answering `status` for `pattern` at `rate`.
    pub fn status(pattern: impl Into<String>, status: u16, rate: f64) -> Self {
        Self {
            pattern: pattern.into(),
            action: FaultAction::Status(status),
            rate,
        }
    }

    /// A rule delaying every request matching `pattern` by `delay`.
    pub fn delay(pattern: impl Into<String>, delay: Duration) -> Self {
        Self {
            pattern: pattern.into(),
            action: FaultAction::Delay(delay),
            rate: 1.0,
        }
    }

    /// Whether `path` (without query) matches this rule's pattern.
    pub fn matches(&self, path: &str) -> bool {
        glob_match(self.pattern.as_bytes(), path.as_bytes())
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            FaultAction::Status(s) => write!(f, "{s}:{}:{}", self.pattern, self.rate),
            FaultAction::Delay(d) => {
                write!(
                    f,
                    "delay:{}:{}ms:{}",
                    self.pattern,
                    d.as_millis(),
                    self.rate
                )
            }
        }
    }
}

/// Why a `--fault` string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad fault rule {input:?}: {reason}; expected STATUS:PATTERN[:RATE] or delay:PATTERN:DURATION[:RATE], e.g. 404:/v0/seg*.ts:0.2 or delay:/v1/*:300ms"
)]
pub struct ParseFaultError {
    /// The string given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for FaultRule {
    type Err = ParseFaultError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseFaultError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, rest) = input.split_once(':').ok_or_else(|| err("missing ':'"))?;
        // The rate is optional: a last field that parses as a number is the rate.
        let (rest, rate) = match rest.rsplit_once(':') {
            Some((head, tail)) if tail.parse::<f64>().is_ok() => {
                (head, tail.parse::<f64>().unwrap_or(1.0))
            }
            _ => (rest, 1.0),
        };
        if !(0.0..=1.0).contains(&rate) {
            return Err(err("the rate must be between 0 and 1"));
        }
        if kind.eq_ignore_ascii_case("delay") {
            let (pattern, dur) = rest
                .rsplit_once(':')
                .ok_or_else(|| err("a delay needs a duration"))?;
            let delay = parse_duration(dur).ok_or_else(|| err("bad duration"))?;
            if pattern.is_empty() {
                return Err(err("empty path pattern"));
            }
            return Ok(Self {
                pattern: pattern.to_owned(),
                action: FaultAction::Delay(delay),
                rate,
            });
        }
        let status: u16 = kind
            .parse()
            .map_err(|_| err("the kind must be an HTTP status or 'delay'"))?;
        if !(100..=599).contains(&status) {
            return Err(err("the status must be between 100 and 599"));
        }
        if rest.is_empty() {
            return Err(err("empty path pattern"));
        }
        Ok(Self {
            pattern: rest.to_owned(),
            action: FaultAction::Status(status),
            rate,
        })
    }
}

/// Parses `300ms`, `2s`, `1.5s`, `250us`.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v * scale))
}

/// Whole-string glob match with `*` and `?`.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    // Position of the last `*` and the input index it is currently stretched to.
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// What the faults decided for one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultDecision {
    /// The status to answer instead of the real one (the first firing status rule).
    pub status: Option<u16>,
    /// Total added latency (all firing delay rules, summed).
    pub delay: Duration,
}

/// The decision for the `nth` request (from 0) for `path`, given `rules` and `seed`.
///
/// Pure: the same arguments always give the same decision. The origin calls it with a
/// per-path request counter.
pub fn decide(rules: &[FaultRule], seed: u64, path: &str, nth: u64) -> FaultDecision {
    let mut decision = FaultDecision::default();
    let path_hash = fnv1a(path.as_bytes());
    for (idx, rule) in rules.iter().enumerate() {
        if !rule.matches(path) || !fires(seed, idx as u64, path_hash, nth, rule.rate) {
            continue;
        }
        match rule.action {
            FaultAction::Status(s) => {
                decision.status.get_or_insert(s);
            }
            FaultAction::Delay(d) => decision.delay += d,
        }
    }
    decision
}

fn fires(seed: u64, rule_idx: u64, path_hash: u64, nth: u64, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    let x = mix(seed ^ mix(path_hash ^ mix(nth ^ mix(rule_idx.wrapping_add(1)))));
    // Top 53 bits as a uniform float in [0, 1).
    let u = (x >> 11) as f64 / (1u64 << 53) as f64;
    u < rate
}

/// FNV-1a, 64 bit: stable across Rust versions and platforms (unlike `DefaultHasher`).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// splitmix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Paths counted before the per-path counters are reset (bounds memory in long runs).
const MAX_COUNTED_PATHS: usize = 100_000;

/// The origin's fault state: rules, seed and per-path request counters.
#[derive(Debug)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
    seed: u64,
    counters: Mutex<HashMap<Box<str>, u64>>,
}

impl Faults {
    pub(crate) fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        Self {
            rules,
            seed,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts this request for `path` and decides its fault. No rules, no cost.
    pub(crate) fn next(&self, path: &str) -> FaultDecision {
        if !self.rules.iter().any(|r| r.matches(path)) {
            return FaultDecision::default();
        }
        let nth = {
            let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            if counters.len() >= MAX_COUNTED_PATHS && !counters.contains_key(path) {
                counters.clear();
            }
            let n = counters.entry(path.into()).or_insert(0);
            let nth = *n;
            *n += 1;
            nth
        };
        decide(&self.rules, self.seed, path, nth)
    }
}

#[cfg(test)]
mod tests;
