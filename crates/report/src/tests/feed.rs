//! Scripted viewers fed real ffmpeg output, for the merge tests: the same viewer, fed the same
//! way, gives the same figures in any aggregator it is registered in.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_parse::{ProgressBlock, RequestKind, parse_line, split_log_lines};
use hls_swarm_stats::{ExitReason, LatencyKind, Recorder, Stream, TapRequest, TapStats};

use crate::{Report, RunIdentity, ShardId};

/// Real ffmpeg 5.1 stderr captures (see `../shared/fixtures/README.md`).
const CAPTURES: [&[u8]; 3] = [
    include_bytes!("../../../parse/tests/data/ffmpeg-5.1/http-errors.stderr"),
    include_bytes!("../../../parse/tests/data/ffmpeg-5.1/origin-restart.stderr"),
    include_bytes!("../../../parse/tests/data/ffmpeg-5.1/first-variant.stderr"),
];

/// Ticks of a scripted run, one second apart.
pub(crate) const TICKS: u32 = 12;

/// The run's wall-clock start: a whole millisecond, as the JSON keeps it.
pub(crate) fn wall_start() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_767_225_600_000)
}

/// One scripted viewer: which capture it replays, spread over the ticks, and its own latency
/// distribution, speeds and exits.
struct Script {
    id: u32,
    lines: Vec<&'static [u8]>,
    recorder: Option<Recorder>,
    process_start: Instant,
}

impl Script {
    fn new(id: u32) -> Script {
        let capture = CAPTURES[id as usize % CAPTURES.len()];
        Script {
            id,
            lines: capture.split_inclusive(|&b| b == b'\n').collect(),
            recorder: None,
            process_start: Instant::now(),
        }
    }

    /// What the viewer does during tick `t` (ending at `at`).
    fn step(&mut self, swarm: &Aggregator, t: u32, at: Instant) {
        let id = self.id;
        // Viewers that are not running at once, so that the sum of the shards' peaks is above
        // the run's own: the stalled ones are killed at tick 5, the fast ones start at tick 6.
        if (id % 4 == 2 && t > 5) || (id % 4 == 3 && t < 6) {
            return;
        }
        let stats = swarm.register(id);
        if self.recorder.is_none() {
            self.process_start = at - Duration::from_millis(500);
            let rec = Recorder::new(Arc::clone(&stats), self.process_start)
                .with_variants(swarm.variant_lookup());
            self.recorder = Some(rec);
        }
        let rec = self.recorder.as_mut().expect("started above");
        // This tick's share of the capture.
        let per_tick = self.lines.len().div_ceil(TICKS as usize);
        let chunk = (self.lines.chunks(per_tick)).nth(t as usize).unwrap_or(&[]);
        for physical in chunk {
            for line in split_log_lines(physical) {
                rec.on_line(&parse_line(line), at);
            }
        }
        stats.add_lines_read(Stream::Stderr, chunk.len() as u64);
        // Speeds: viewer 0 healthy, 1 slightly slow from tick 6, 2 stalled, 3 fast, then round
        // again.
        let slow = if t >= 6 { 0.95 } else { 1.05 };
        let speed =
            [1.0 + 0.01 * f64::from(t), slow, 0.5, 1.7][id as usize % 4] + 0.001 * f64::from(id);
        let block = ProgressBlock {
            speed: Some(speed),
            out_time_us: Some(i64::from(t) * 900_000 + i64::from(id) * 10_000),
            ..Default::default()
        };
        rec.on_progress(&block, at);
        stats.add_lines_read(Stream::Progress, 12);
        // Latency: every viewer its own range, far apart, so an average of the viewers'
        // percentiles is far from the percentile of all samples.
        let base_us = [800u64, 40_000, 2_500_000, 150][id as usize % 4] * (1 + u64::from(id) / 4);
        // Viewer 5 records more than a ring holds between ticks: samples are lost.
        let n = 20 + 12 * (id as usize % 6);
        for i in 0..n as u64 {
            let us = base_us + (i * 37 + u64::from(t) * 101) % (base_us + 1);
            stats.record_latency(LatencyKind::TcpConnect, Duration::from_micros(us));
            if i % 3 == 0 {
                stats.record_latency(LatencyKind::PlaylistFetch, Duration::from_micros(us * 2));
            }
        }
        // Exits: viewer 1 fails and restarts at tick 4; viewer 2 is killed at tick 5.
        if id % 4 == 1 && t == 4 {
            // The line ffmpeg printed before it gave up: exits group by it.
            let port = 18_000 + id % 3;
            let last = format!(
                "[error] http://127.0.0.1:{port}/master.m3u8: Server returned 5XX Server \
                 Error reply\n"
            );
            rec.on_line(&parse_line(last.as_bytes()), at);
            stats.record_exit(ExitReason::Code(1));
            self.recorder = None;
        }
        if id % 4 == 2 && t == 5 {
            stats.record_exit(ExitReason::Signal(9));
            self.recorder = None;
        }
    }
}

/// What the request tap would have recorded of viewer `id` at tick `t`: a playlist and a
/// segment each tick, their timings the viewer's own; a 404 now and then, a body cut off, a
/// segment slower than the second it plays, a new upstream connection at the first tick.
fn tap_requests(id: u32, t: u32) -> [TapRequest; 2] {
    let ms = |n: u32| Duration::from_millis(u64::from(n));
    let playlist = TapRequest {
        kind: RequestKind::Manifest,
        status: 200,
        body_bytes: 400 + u64::from(id),
        ttfb: ms(1 + id),
        download: ms(2 + id + t % 3),
        upstream_connect: (t == 0).then(|| ms(1 + id % 2)),
        truncated: false,
        media_duration: None,
    };
    let segment = TapRequest {
        kind: RequestKind::Segment,
        status: if id % 4 == 3 && t.is_multiple_of(5) {
            404
        } else {
            206
        },
        body_bytes: 50_000 + 1_000 * u64::from(id) + u64::from(t),
        ttfb: ms(5 + 3 * id + t),
        download: ms(100 + 150 * id + 11 * t),
        upstream_connect: None,
        truncated: id % 3 == 1 && t == 4,
        media_duration: Some(Duration::from_secs(1)),
    };
    [playlist, segment]
}

/// The report of `ids` run in one aggregator for [`TICKS`] ticks, with the run's identity
/// (`shard`, when it is one).
pub(crate) fn run(ids: &[u32], shard: Option<ShardId>) -> Report {
    run_scripted(ids, shard, false)
}

/// [`run`] with the request tap: each viewer's requests also go through a [`TapStats`].
pub(crate) fn run_with_tap(ids: &[u32], shard: Option<ShardId>) -> Report {
    run_scripted(ids, shard, true)
}

fn run_scripted(ids: &[u32], shard: Option<ShardId>, with_tap: bool) -> Report {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", ids.len() as u32, t0);
    let viewers = ids.iter().max().map_or(0, |&id| id as usize + 1);
    let tap = with_tap.then(|| Arc::new(TapStats::new(viewers)));
    if let Some(tap) = &tap {
        swarm.attach_tap(Arc::clone(tap));
    }
    let mut scripts: Vec<Script> = ids.iter().map(|&id| Script::new(id)).collect();
    let mut last: Option<Arc<Snapshot>> = None;
    for t in 0..TICKS {
        let at = t0 + Duration::from_secs(u64::from(t) + 1);
        for script in &mut scripts {
            script.step(&swarm, t, at);
            if let Some(tap) = &tap {
                for request in tap_requests(script.id, t) {
                    tap.record(Some(script.id as usize), &request);
                }
            }
        }
        last = Some(swarm.tick(at));
    }
    let snapshot = last.expect("at least one tick");
    Report::from_aggregator(&swarm, &snapshot).with_run(RunIdentity {
        run_id: Some("run-42".to_owned()),
        shard,
        started_at: wall_start(),
        ended_at: wall_start() + snapshot.elapsed,
        start_late: None,
    })
}
