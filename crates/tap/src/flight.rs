//! `InFlight`: a request's record while it is relayed. Whoever holds it last hands it out:
//! explicitly when the request ends, or, when it is dropped unfinished (the viewer went away,
//! the tap stopped), as truncated, so no request goes unrecorded.

use std::sync::Arc;
use std::time::Instant;

use crate::record::{Failure, RequestRecord};
use crate::shared::Shared;

/// A request being relayed, and its record so far.
pub(crate) struct InFlight {
    pub(crate) record: RequestRecord,
    /// When the request was handed to the upstream connection.
    pub(crate) sent: Option<Instant>,
    shared: Arc<Shared>,
    emitted: bool,
}

impl InFlight {
    pub(crate) fn new(shared: Arc<Shared>, record: RequestRecord) -> Box<InFlight> {
        Box::new(InFlight {
            record,
            sent: None,
            shared,
            emitted: false,
        })
    }

    /// The tap this request belongs to.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Ends the request now: complete when `failure` is `None`.
    pub(crate) fn finish(mut self: Box<Self>, failure: Option<Failure>) {
        self.emit(failure);
    }

    fn emit(&mut self, failure: Option<Failure>) {
        if self.emitted {
            return;
        }
        self.emitted = true;
        if self.record.status.is_some() {
            self.record.download = self.sent.map(|sent| sent.elapsed());
        }
        self.record.truncated = matches!(
            failure,
            Some(Failure::UpstreamCut | Failure::ViewerGone | Failure::Shutdown)
        );
        self.record.failure = failure;
        self.shared.emit_request(&self.record);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let cause = if self.shared.is_cutting() {
            Failure::Shutdown
        } else {
            Failure::ViewerGone
        };
        self.emit(Some(cause));
    }
}
