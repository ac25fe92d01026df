//! How many cloud calls run at once, adapting to throttling: additive increase,
//! multiplicative decrease (AIMD, as TCP does with its congestion window).
//!
//! Providers report every throttling answer they see — including those their client
//! retried successfully, which the engine would otherwise never hear of — on the
//! registry's [`Backpressure`] signal. A [`Pace`] owned by one walk (the refresh, the
//! apply executor) reads that signal each time one of its operations finishes: if the
//! cloud pushed back since the operation started, the limit halves; otherwise it grows
//! by one for every `limit` operations that finish. So a refresh starts at
//! `--parallelism`, settles just below the rate the cloud accepts, and climbs back when
//! the cloud recovers, without the user lowering `--parallelism` by hand.
//!
//! Invariants: the limit stays within 1..=max; one burst of throttling halves it once,
//! not once per throttled call — only an operation started after the last cut can cut
//! it again (as TCP reacts once per round trip).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The providers' throttling signal: a count of throttling answers, shared by every
/// type of one registry.
#[derive(Debug, Clone, Default)]
pub struct Backpressure(Arc<AtomicU64>);

impl Backpressure {
    /// The cloud answered a call with throttling (it may be retried and succeed).
    pub fn throttled(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Throttling answers seen so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Proof that an operation was started under a [`Pace`]; hand it back when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    sequence: u64,
    signals: u64,
}

/// An AIMD limit on operations in flight. Not shared: the walk that owns it asks
/// [`Pace::allowed`] before starting an operation.
#[derive(Debug)]
pub struct Pace {
    max: usize,
    limit: f64,
    signals: Backpressure,
    /// Operations started so far.
    started: u64,
    /// Operations started before the last cut cannot cut again.
    cut_before: u64,
    /// The signal's count when this pace began.
    initial: u64,
    /// What this walk saw: throttling answers, cuts, the lowest limit.
    pub stats: PaceStats,
}

/// What a walk's pace went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaceStats {
    /// Throttling answers reported while the walk ran.
    pub throttled: u64,
    /// Times the limit was halved.
    pub cuts: u32,
    /// The lowest limit reached (the maximum when never cut).
    pub lowest: usize,
}

impl Pace {
    /// A pace starting at `max` operations at once, never above it.
    pub fn new(max: usize, signals: Backpressure) -> Self {
        let max = max.max(1);
        let initial = signals.count();
        Pace {
            initial,
            max,
            limit: max as f64,
            signals,
            started: 0,
            cut_before: 0,
            stats: PaceStats {
                lowest: max,
                ..PaceStats::default()
            },
        }
    }

    /// How many operations may be in flight now.
    pub fn allowed(&self) -> usize {
        (self.limit as usize).clamp(1, self.max)
    }

    /// An operation starts.
    pub fn start(&mut self) -> Ticket {
        self.started += 1;
        Ticket {
            sequence: self.started,
            signals: self.signals.count(),
        }
    }

    /// The operation of `ticket` ended; `throttled` when its own error was throttling
    /// (the client's retries ran out).
    pub fn finish(&mut self, ticket: Ticket, throttled: bool) {
        let now = self.signals.count();
        let pushed_back = throttled || now > ticket.signals;
        if pushed_back {
            self.stats.throttled = now - self.initial;
            if ticket.sequence > self.cut_before {
                self.limit = (self.limit / 2.0).max(1.0);
                self.cut_before = self.started;
                self.stats.cuts += 1;
                self.stats.lowest = self.stats.lowest.min(self.allowed());
            }
        } else {
            self.limit = (self.limit + 1.0 / self.limit).min(self.max as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_throttled_stays_at_the_maximum() {
        let signals = Backpressure::default();
        let mut pace = Pace::new(16, signals);
        for _ in 0..100 {
            let t = pace.start();
            pace.finish(t, false);
        }
        assert_eq!(pace.allowed(), 16);
        assert_eq!(pace.stats.cuts, 0);
        assert_eq!(pace.stats.lowest, 16);
    }

    #[test]
    fn one_burst_of_throttling_halves_the_limit_once() {
        let signals = Backpressure::default();
        let mut pace = Pace::new(16, signals.clone());
        let tickets: Vec<Ticket> = (0..16).map(|_| pace.start()).collect();
        // Every call in flight is throttled once (the burst).
        for _ in 0..16 {
            signals.throttled();
        }
        for t in tickets {
            pace.finish(t, false);
        }
        assert_eq!(pace.allowed(), 8, "one burst, one cut");
        assert_eq!(pace.stats.cuts, 1);
        assert_eq!(pace.stats.throttled, 16);
    }

    #[test]
    fn repeated_throttling_cuts_down_to_one_and_never_below() {
        let signals = Backpressure::default();
        let mut pace = Pace::new(16, signals.clone());
        for _ in 0..10 {
            let t = pace.start();
            signals.throttled();
            pace.finish(t, false);
        }
        assert_eq!(pace.allowed(), 1);
        assert_eq!(pace.stats.lowest, 1);
        // Its own error being throttling counts even without a signal.
        let t = pace.start();
        pace.finish(t, true);
        assert_eq!(pace.allowed(), 1);
    }

    #[test]
    fn the_limit_climbs_back_by_one_per_window_of_successes() {
        let signals = Backpressure::default();
        let mut pace = Pace::new(16, signals.clone());
        let t = pace.start();
        signals.throttled();
        pace.finish(t, false);
        assert_eq!(pace.allowed(), 8);
        // A window of successes (about the limit's worth) adds one.
        for _ in 0..9 {
            let t = pace.start();
            pace.finish(t, false);
        }
        assert_eq!(pace.allowed(), 9);
        for _ in 0..1000 {
            let t = pace.start();
            pace.finish(t, false);
        }
        assert_eq!(pace.allowed(), 16, "capped at the maximum");
    }
}
