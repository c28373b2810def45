//! Process lifecycle: starts, exits grouped with the last error line, the supervisor state.

use super::bare;
use crate::{ExitReason, Recorder, ViewerState, ViewerStats};
use hls_swarm_parse::{Event, Level};
use std::sync::Arc;
use std::time::Instant;

#[test]
fn exits_are_grouped_with_the_last_error_line() {
    let stats = Arc::new(ViewerStats::new());
    let now = Instant::now();
    let unrecognized = bare(Event::ErrorMessage {
        level: Level::Error,
        message: "Unrecognized option 'seg_max_retry'.",
    });
    for _ in 0..3 {
        let mut rec = Recorder::new(Arc::clone(&stats), now);
        rec.on_line(&unrecognized, now);
        stats.record_exit(ExitReason::Code(1));
        assert_eq!(stats.state(), ViewerState::Restarting);
    }
    Recorder::new(Arc::clone(&stats), now);
    stats.record_exit(ExitReason::Stopped);
    let exits = stats.exits();
    assert_eq!(exits.len(), 2);
    assert_eq!(exits[0].reason, ExitReason::Code(1));
    assert_eq!(exits[0].count, 3);
    assert_eq!(
        exits[0].last_error.as_deref(),
        Some("Unrecognized option 'seg_max_retry'.")
    );
    assert_eq!(
        (exits[1].reason, exits[1].last_error.clone()),
        (ExitReason::Stopped, None)
    );
    assert_eq!(stats.state(), ViewerState::Stopped);
    assert_eq!(stats.snapshot(now).exits, 4);
}
