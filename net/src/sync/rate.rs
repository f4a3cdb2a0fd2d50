//! How often one peer may ask: a token bucket per peer id, remembered across disconnects so
//! that reconnecting does not refill an allowance, in a table of bounded size.
//!
//! A bucket left alone for a second is full again, the same as a bucket for a peer never seen,
//! so forgetting it loses nothing: [`RateLimiter::forget_refilled`] drops those. Only peers
//! that asked within the last second are worth remembering; if more than
//! [`REMEMBERED_PEERS`] of them did, the one idle longest is forgotten first.

use std::{collections::HashMap, time::Instant};

use libp2p::PeerId;

/// Peers whose buckets are kept at most. Each new peer id costs a Noise handshake, so an
/// attacker churning identities fills the table slowly while honest peers stay below it.
pub const REMEMBERED_PEERS: usize = 4096;

/// A token bucket per peer: `per_second` requests a second, bursts of up to `per_second`.
pub struct RateLimiter {
    per_second: f64,
    capacity: usize,
    buckets: HashMap<PeerId, Bucket>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn tokens_at(&self, now: Instant, per_second: f64) -> f64 {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * per_second;
        (self.tokens + refill).min(per_second)
    }
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        Self::with_capacity(per_second, REMEMBERED_PEERS)
    }

    /// A limiter remembering at most `capacity` peers (at least one).
    pub fn with_capacity(per_second: u32, capacity: usize) -> Self {
        Self {
            per_second: f64::from(per_second.max(1)),
            capacity: capacity.max(1),
            buckets: HashMap::new(),
        }
    }

    /// Whether `peer` may make one more request at `now`; counts it if so.
    pub fn admit(&mut self, peer: PeerId, now: Instant) -> bool {
        if !self.buckets.contains_key(&peer) && self.buckets.len() >= self.capacity {
            self.make_room(now);
        }
        let per_second = self.per_second;
        let bucket = self.buckets.entry(peer).or_insert(Bucket {
            tokens: per_second,
            last: now,
        });
        bucket.tokens = bucket.tokens_at(now, per_second);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Drops every bucket that has refilled by `now`: a new bucket would be the same.
    pub fn forget_refilled(&mut self, now: Instant) {
        let per_second = self.per_second;
        self.buckets
            .retain(|_, bucket| bucket.tokens_at(now, per_second) < per_second);
    }

    /// Peers currently remembered.
    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.buckets.len()
    }

    fn make_room(&mut self, now: Instant) {
        self.forget_refilled(now);
        if self.buckets.len() < self.capacity {
            return;
        }
        let idlest = self
            .buckets
            .iter()
            .min_by_key(|(_, bucket)| bucket.last)
            .map(|(peer, _)| *peer);
        if let Some(peer) = idlest {
            self.buckets.remove(&peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_peer_over_its_rate_is_refused_until_tokens_refill() {
        let mut limiter = RateLimiter::new(2);
        let peer = PeerId::random();
        let start = Instant::now();
        assert!(limiter.admit(peer, start));
        assert!(limiter.admit(peer, start));
        assert!(!limiter.admit(peer, start));
        assert!(limiter.admit(PeerId::random(), start));
        assert!(limiter.admit(peer, start + Duration::from_millis(600)));
    }

    #[test]
    fn only_refilled_buckets_are_forgotten() {
        let mut limiter = RateLimiter::new(2);
        let (drained, rested) = (PeerId::random(), PeerId::random());
        let start = Instant::now();
        limiter.admit(rested, start);
        limiter.admit(drained, start + Duration::from_millis(900));
        limiter.admit(drained, start + Duration::from_millis(900));
        limiter.forget_refilled(start + Duration::from_millis(1000));
        assert_eq!(limiter.remembered(), 1);
        assert!(
            !limiter.admit(drained, start + Duration::from_millis(1000)),
            "the drained peer's bucket is still empty"
        );
    }

    #[test]
    fn a_full_table_forgets_the_peer_idle_longest() {
        let mut limiter = RateLimiter::with_capacity(1, 2);
        let (oldest, newer, newest) = (PeerId::random(), PeerId::random(), PeerId::random());
        let start = Instant::now();
        limiter.admit(oldest, start);
        limiter.admit(newer, start + Duration::from_millis(100));
        limiter.admit(newest, start + Duration::from_millis(200));
        assert_eq!(limiter.remembered(), 2);
        let soon = start + Duration::from_millis(300);
        assert!(!limiter.admit(newer, soon), "newer is still remembered");
        assert!(limiter.admit(oldest, soon), "oldest was forgotten first");
    }
}
