//! Exact segment sizes from the origin's listing (nginx `autoindex_format json` style),
//! refreshed in the background and read lock-free by every viewer's recorder.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hls_swarm_stats::SegmentSizeLookup;
use serde::Deserialize;

use crate::log::Log;

/// Entries kept across refreshes (a live listing slides; old names are forgotten first).
const MAX_ENTRIES: usize = 20_000;

/// One entry of the listing.
#[derive(Debug, Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Default)]
struct Table {
    sizes: HashMap<Box<str>, u64>,
    order: VecDeque<Box<str>>,
}

/// Segment sizes by name; readers `load()` the current table without locking.
#[derive(Default)]
pub struct SegmentSizes {
    table: ArcSwap<Table>,
}

impl SegmentSizes {
    /// Merges a listing body into the table; returns how many entries it had.
    pub fn merge_listing(&self, body: &[u8]) -> Result<usize, serde_json::Error> {
        let entries: Vec<Entry> = serde_json::from_slice(body)?;
        let current = self.table.load();
        let mut next = Table {
            sizes: current.sizes.clone(),
            order: current.order.clone(),
        };
        let n = entries.len();
        for e in entries {
            if e.kind.as_deref().is_some_and(|k| k != "file") {
                continue;
            }
            let Some(size) = e.size else { continue };
            let name: Box<str> = e.name.trim_start_matches('/').into();
            if next.sizes.insert(name.clone(), size).is_none() {
                next.order.push_back(name);
            }
        }
        while next.order.len() > MAX_ENTRIES {
            if let Some(old) = next.order.pop_front() {
                next.sizes.remove(&old);
            }
        }
        // Only the refresher task stores; a lost race is impossible with one writer.
        self.table.store(Arc::new(next));
        Ok(n)
    }
}

impl SegmentSizeLookup for SegmentSizes {
    /// Tries the request path without its leading `/`, then each shorter suffix at a `/`:
    /// `/live/v0/seg1.ts` matches a listing name `live/v0/seg1.ts`, `v0/seg1.ts` or `seg1.ts`.
    fn segment_size(&self, path: &str) -> Option<u64> {
        let table = self.table.load();
        let mut rest = path.split(['?', '#']).next()?.trim_start_matches('/');
        loop {
            if let Some(size) = table.sizes.get(rest) {
                return Some(*size);
            }
            let (_, tail) = rest.split_once('/')?;
            rest = tail;
        }
    }
}

/// Keeps a segment-size table fresh from a listing URL.
pub struct SizeRefresher {
    url: String,
    client: reqwest::Client,
    sizes: Arc<SegmentSizes>,
    log: Log,
    failures: u32,
}

impl SizeRefresher {
    /// A refresher of `sizes` from `url`.
    pub fn new(url: String, sizes: Arc<SegmentSizes>, log: Log) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()?;
        Ok(SizeRefresher {
            url,
            client,
            sizes,
            log,
            failures: 0,
        })
    }

    /// Fetches the listing once and merges it; failures are logged (the first, then rarely).
    pub async fn refresh(&mut self) -> bool {
        let result = async {
            let resp = self
                .client
                .get(&self.url)
                .send()
                .await?
                .error_for_status()?;
            resp.bytes().await
        }
        .await;
        match result.map_err(|e| e.to_string()).and_then(|body| {
            self.sizes
                .merge_listing(&body)
                .map_err(|e| format!("not a JSON listing: {e}"))
        }) {
            Ok(_) => {
                self.failures = 0;
                true
            }
            Err(e) => {
                self.failures += 1;
                if self.failures.is_power_of_two() {
                    self.log.warn(
                        "segment_sizes_fetch_failed",
                        &[
                            ("url", self.url.clone()),
                            ("error", e),
                            (
                                "consequence",
                                "bytes fall back to ffmpeg's AVIO statistics".to_owned(),
                            ),
                        ],
                    );
                }
                false
            }
        }
    }

    /// Refreshes every `every`, until the task is aborted.
    pub async fn run(mut self, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            self.refresh().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_names_match_request_paths_by_suffix() {
        let sizes = SegmentSizes::default();
        let body = br#"[{"name":"v0/seg00001.ts","type":"file","mtime":"x","size":111},
                        {"name":"seg00009.ts","type":"file","size":999},
                        {"name":"v1","type":"directory","mtime":"x"}]"#;
        assert_eq!(sizes.merge_listing(body).unwrap(), 3);
        assert_eq!(sizes.segment_size("/v0/seg00001.ts"), Some(111));
        assert_eq!(
            sizes.segment_size("/live/v0/seg00001.ts?token=1"),
            Some(111)
        );
        assert_eq!(sizes.segment_size("/v3/seg00009.ts"), Some(999));
        assert_eq!(sizes.segment_size("/v1/seg00001.ts"), None);
        assert_eq!(sizes.table.load().sizes.len(), 2);
    }

    #[test]
    fn a_bad_listing_is_an_error_and_keeps_the_table() {
        let sizes = SegmentSizes::default();
        sizes
            .merge_listing(br#"[{"name":"a.ts","size":1}]"#)
            .unwrap();
        assert!(sizes.merge_listing(b"<html>").is_err());
        assert_eq!(sizes.segment_size("/a.ts"), Some(1));
    }
}
