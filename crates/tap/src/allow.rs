//! The allow list: the `host:port`s the tap forwards to (the target's, those its relayed
//! playlists name, those the caller adds), bounded, read without a lock on every request.

use std::collections::HashSet;

use arc_swap::ArcSwap;

/// The hosts the tap forwards to; anything else is refused with 403.
pub(crate) struct AllowList {
    hosts: ArcSwap<HashSet<Box<str>>>,
    max_hosts: usize,
}

/// Whether [`AllowList::add`] allowed the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// It is allowed now (or was already).
    Allowed,
    /// The list is full: the host stays refused.
    Full,
}

impl AllowList {
    /// A list holding `first` (`host:port` keys) and room for `max_hosts` hosts in all.
    pub(crate) fn new(first: impl IntoIterator<Item = String>, max_hosts: usize) -> AllowList {
        let hosts = first.into_iter().map(String::into_boxed_str).collect();
        AllowList {
            hosts: ArcSwap::from_pointee(hosts),
            max_hosts,
        }
    }

    /// How many hosts it may hold.
    pub(crate) fn max_hosts(&self) -> usize {
        self.max_hosts
    }

    /// Whether `host_port` (as [`crate::authority::host_port`] writes it) is allowed.
    pub(crate) fn allows(&self, host_port: &str) -> bool {
        self.hosts.load().contains(host_port)
    }

    /// Allows `host_port`, unless the list is full.
    pub(crate) fn add(&self, host_port: &str) -> Added {
        if self.allows(host_port) {
            return Added::Allowed;
        }
        let mut added = Added::Full;
        self.hosts.rcu(|current| {
            if current.contains(host_port) {
                added = Added::Allowed;
                return HashSet::clone(current);
            }
            if current.len() >= self.max_hosts {
                added = Added::Full;
                return HashSet::clone(current);
            }
            added = Added::Allowed;
            let mut next = HashSet::clone(current);
            next.insert(host_port.into());
            next
        });
        added
    }
}
