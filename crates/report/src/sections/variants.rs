//! Totals per variant (media playlist).

use hls_swarm_aggregate::Snapshot;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// One variant's totals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VariantTotals {
    /// Media playlist path.
    pub path: String,
    /// Playlist requests.
    pub manifest: u64,
    /// Segment requests.
    pub segment: u64,
    /// Init-section requests.
    pub init: u64,
    /// HTTP errors.
    pub http_errors: u64,
    /// Exact segment bytes (segment-size lookup only).
    pub segment_bytes: u64,
}

/// Every variant the viewers played.
pub(crate) fn from_snapshot(s: &Snapshot) -> Vec<VariantTotals> {
    (s.variants.iter())
        .map(|v| VariantTotals {
            path: v.path.to_string(),
            manifest: v.values.manifest_requests,
            segment: v.values.segment_requests,
            init: v.values.init_requests,
            http_errors: v.values.http_errors,
            segment_bytes: v.values.segment_bytes,
        })
        .collect()
}

/// The variants of several shards: by path, every count adds; sorted by path, as a run's are.
pub(crate) fn merge<'a>(
    parts: impl IntoIterator<Item = &'a [VariantTotals]>,
) -> Vec<VariantTotals> {
    let mut by_path: BTreeMap<&str, VariantTotals> = BTreeMap::new();
    for v in parts.into_iter().flatten() {
        let sum = by_path.entry(&v.path).or_insert_with(|| VariantTotals {
            path: v.path.clone(),
            manifest: 0,
            segment: 0,
            init: 0,
            http_errors: 0,
            segment_bytes: 0,
        });
        sum.manifest += v.manifest;
        sum.segment += v.segment;
        sum.init += v.init;
        sum.http_errors += v.http_errors;
        sum.segment_bytes += v.segment_bytes;
    }
    by_path.into_values().collect()
}

/// The "Variants" section, when there are any.
pub(crate) fn render(variants: &[VariantTotals], text: &mut Text) {
    if variants.is_empty() {
        return;
    }
    text.section("Variants");
    for v in variants {
        text.row(
            &v.path,
            &format!(
                "{} playlist req, {} segment req, {} errors",
                v.manifest, v.segment, v.http_errors
            ),
        );
    }
}
