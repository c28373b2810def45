//! A histogram's buckets packed small: how a time series point keeps its latency histograms,
//! several hundred thousand buckets in a long run, at a few bytes each.

use std::fmt;

use serde::de::Deserializer;
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A histogram's non-empty `[value_us, count]` buckets, ascending, packed as LEB128 varints of
/// each value's step up from the one before and of its count: 2–4 bytes a bucket instead of the
/// 16 of a `(u64, u64)` (and none spare, where a `Vec` grown by pushes keeps up to half its
/// capacity unused). In JSON it is the plain list of pairs.
///
/// ```
/// use hls_swarm_report::PackedPairs;
///
/// let packed = PackedPairs::from_pairs([(7_167, 1), (300, 2), (7_167, 3), (9, 0)]);
/// assert_eq!(packed.iter().collect::<Vec<_>>(), [(300, 2), (7_167, 4)], "sorted, merged, no empty");
/// assert_eq!(serde_json::to_string(&packed)?, "[[300,2],[7167,4]]");
/// assert_eq!(serde_json::from_str::<PackedPairs>("[[300,2],[7167,4]]")?, packed);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PackedPairs(Box<[u8]>);

impl PackedPairs {
    /// Packs `pairs` (`(value_us, count)`, in any order): sorted by value, the counts of equal
    /// values added, empty buckets left out.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u64, u64)>) -> PackedPairs {
        let mut pairs: Vec<(u64, u64)> = pairs.into_iter().filter(|&(_, n)| n > 0).collect();
        if !pairs.is_sorted_by(|a, b| a.0 < b.0) {
            pairs.sort_unstable_by_key(|&(value, _)| value);
            pairs.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1 = kept.1.saturating_add(later.1);
                }
                same
            });
        }
        let mut bytes = Vec::with_capacity(pairs.len() * 4);
        let mut previous = 0;
        for (value, count) in pairs {
            put_varint(&mut bytes, value - previous);
            put_varint(&mut bytes, count);
            previous = value;
        }
        PackedPairs(bytes.into_boxed_slice())
    }

    /// The buckets, ascending: `(value_us, count)`.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut rest = &self.0[..];
        let mut value = 0u64;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            value += take_varint(&mut rest);
            let count = take_varint(&mut rest);
            Some((value, count))
        })
    }

    /// How many buckets.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No bucket.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn put_varint(bytes: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        bytes.push((n as u8) | 0x80);
        n >>= 7;
    }
    bytes.push(n as u8);
}

/// Reads one varint off the front of `rest` (which only [`put_varint`] wrote).
fn take_varint(rest: &mut &[u8]) -> u64 {
    let mut n = 0u64;
    let mut shift = 0;
    while let Some((&byte, tail)) = rest.split_first() {
        *rest = tail;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    n
}

impl fmt::Debug for PackedPairs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for PackedPairs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for pair in self.iter() {
            seq.serialize_element(&pair)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PackedPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<(u64, u64)>::deserialize(deserializer).map(PackedPairs::from_pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_comes_back_as_it_went_in_whatever_its_size() {
        let pairs: Vec<(u64, u64)> = (0..64)
            .map(|shift| (1u64 << shift, u64::MAX >> shift))
            .chain([(u64::MAX, 1)])
            .collect();
        let packed = PackedPairs::from_pairs(pairs.clone());
        assert_eq!(packed.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(packed.len(), 65);
        assert!(PackedPairs::from_pairs([]).is_empty());
        // A typical point: values a few percent apart, counts of a few.
        let small = PackedPairs::from_pairs((0..100).map(|i| (1_000 + 64 * i, 3)));
        assert!(small.0.len() <= 100 * 3, "{} bytes", small.0.len());
    }
}
