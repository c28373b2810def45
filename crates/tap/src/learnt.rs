//! What the tap has learnt from the playlists it relayed, shared by every connection: each
//! segment's `#EXTINF` duration and the `#EXT-X-MAP` URIs, bounded (the newest `uris_kept`
//! URIs of each of the `playlists_kept` playlists updated last), and read without a lock.
//!
//! Readers `load()` an immutable list of per-playlist maps. A writer copies only the one
//! playlist that named something new, and only then: a live playlist reloaded by a thousand
//! viewers is copied once per new segment, not once per reload. Each playlist also keeps the
//! fingerprint of the body last read for it, so that a reload whose body has not changed (most
//! of them: a live playlist changes once per segment) is not even read again.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::playlist::PlaylistFacts;

/// The learnt durations and init sections of the playlists relayed lately.
pub(crate) struct Learnt {
    /// One entry per playlist, the one updated last at the end.
    playlists: ArcSwap<Vec<Arc<PlaylistEntry>>>,
    uris_kept: usize,
    playlists_kept: usize,
}

/// What one playlist (by its resource key) said, each URI with the order it was first seen in.
#[derive(Debug)]
struct PlaylistEntry {
    key: Box<str>,
    next_segment: u64,
    segments: HashMap<Box<str>, (u64, Duration)>,
    next_init: u64,
    init: HashMap<Box<str>, u64>,
    /// The [`fingerprint`] of the body read last for this playlist; 0 when none is known.
    last_read: AtomicU64,
}

impl Clone for PlaylistEntry {
    fn clone(&self) -> PlaylistEntry {
        PlaylistEntry {
            key: self.key.clone(),
            next_segment: self.next_segment,
            segments: self.segments.clone(),
            next_init: self.next_init,
            init: self.init.clone(),
            // Relaxed: a hint only (see `Learnt::note_read`).
            last_read: AtomicU64::new(self.last_read.load(Ordering::Relaxed)),
        }
    }
}

/// A 64-bit fingerprint of a playlist body, never 0. Two bodies with the same fingerprint are
/// taken to be the same: a collision (about one in 2^64) would only leave one reload unread.
pub(crate) fn fingerprint(body: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(body);
    hasher.finish().max(1)
}

impl Learnt {
    /// An empty store keeping `uris_kept` URIs for each of `playlists_kept` playlists.
    pub(crate) fn new(uris_kept: usize, playlists_kept: usize) -> Learnt {
        Learnt {
            playlists: ArcSwap::from_pointee(Vec::new()),
            uris_kept,
            playlists_kept,
        }
    }

    /// The `#EXTINF` duration a relayed playlist gave the segment `key`, if one did lately.
    pub(crate) fn segment_duration(&self, key: &str) -> Option<Duration> {
        let playlists = self.playlists.load();
        playlists
            .iter()
            .rev()
            .find_map(|p| p.segments.get(key).map(|&(_, d)| d))
    }

    /// Whether a relayed playlist named `key` in an `#EXT-X-MAP` tag lately.
    pub(crate) fn is_init(&self, key: &str) -> bool {
        let playlists = self.playlists.load();
        playlists.iter().any(|p| p.init.contains_key(key))
    }

    /// Whether the body last read for `playlist` (its resource key) had this `fingerprint`:
    /// then reading it again would teach nothing (its hosts were offered to the allow list, and
    /// its URIs learnt, when it was read).
    pub(crate) fn already_read(&self, playlist: &str, fingerprint: u64) -> bool {
        let playlists = self.playlists.load();
        playlists
            .iter()
            .rev()
            .find(|p| &*p.key == playlist)
            // Relaxed: a hint; a stale value only means the body is read once more.
            .is_some_and(|p| p.last_read.load(Ordering::Relaxed) == fingerprint)
    }

    /// Notes that the body with `fingerprint` has just been read and learnt for `playlist`
    /// (nothing is noted for a playlist that taught nothing and so has no entry).
    pub(crate) fn note_read(&self, playlist: &str, fingerprint: u64) {
        let playlists = self.playlists.load();
        if let Some(entry) = playlists.iter().rev().find(|p| &*p.key == playlist) {
            // Relaxed: a hint (see `already_read`); it publishes nothing else. A writer that
            // replaced this entry meanwhile copied the older value: one more read, no harm.
            entry.last_read.store(fingerprint, Ordering::Relaxed);
        }
    }

    /// Learns what the playlist `playlist` (its resource key) said.
    pub(crate) fn learn(&self, playlist: &str, facts: &PlaylistFacts) {
        if (facts.segments.is_empty() && facts.init.is_empty()) || self.knows(playlist, facts) {
            return;
        }
        self.playlists.rcu(|current| {
            let mut entry = current
                .iter()
                .find(|p| &*p.key == playlist)
                .map_or_else(|| PlaylistEntry::new(playlist), |p| PlaylistEntry::clone(p));
            entry.add(facts, self.uris_kept);
            let mut list: Vec<Arc<PlaylistEntry>> = current
                .iter()
                .filter(|p| &*p.key != playlist)
                .cloned()
                .collect();
            list.push(Arc::new(entry));
            let excess = list.len().saturating_sub(self.playlists_kept);
            list.drain(..excess);
            list
        });
    }

    /// Whether every segment (with the same duration) and init URI of `facts` is known already.
    fn knows(&self, playlist: &str, facts: &PlaylistFacts) -> bool {
        let playlists = self.playlists.load();
        let Some(entry) = playlists.iter().find(|p| &*p.key == playlist) else {
            return false;
        };
        facts.segments.iter().all(|(key, d)| {
            entry
                .segments
                .get(key.as_str())
                .is_some_and(|(_, known)| known == d)
        }) && facts
            .init
            .iter()
            .all(|key| entry.init.contains_key(key.as_str()))
    }

    /// How many segment URIs are kept in all (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn n_segments(&self) -> usize {
        self.playlists.load().iter().map(|p| p.segments.len()).sum()
    }
}

impl PlaylistEntry {
    fn new(key: &str) -> PlaylistEntry {
        PlaylistEntry {
            key: key.into(),
            next_segment: 0,
            segments: HashMap::new(),
            next_init: 0,
            init: HashMap::new(),
            last_read: AtomicU64::new(0),
        }
    }

    /// Adds what is new in `facts`, then forgets all but the newest `kept` URIs of each map.
    fn add(&mut self, facts: &PlaylistFacts, kept: usize) {
        for (key, duration) in &facts.segments {
            match self.segments.get_mut(key.as_str()) {
                Some((_, known)) => *known = *duration,
                None => {
                    self.segments
                        .insert(key.as_str().into(), (self.next_segment, *duration));
                    self.next_segment += 1;
                }
            }
        }
        for key in &facts.init {
            if !self.init.contains_key(key.as_str()) {
                self.init.insert(key.as_str().into(), self.next_init);
                self.next_init += 1;
            }
        }
        let oldest_segment = self.next_segment.saturating_sub(kept as u64);
        self.segments.retain(|_, (seq, _)| *seq >= oldest_segment);
        let oldest_init = self.next_init.saturating_sub(kept as u64);
        self.init.retain(|_, seq| *seq >= oldest_init);
    }
}
