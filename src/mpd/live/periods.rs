//! The live timing of a multi-period programme: its periods laid end to
//! end, looped for ever from the availability start. Every position is an
//! exact integer count of ticks of one timescale, a common multiple of every
//! period's own, so no rounding accumulates however many loops have run;
//! milliseconds appear only where the manifest writes them.

/// One loop of a programme: where each period starts in it, and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeClock {
    /// Ticks per second: the least common multiple of the periods' timescales.
    pub timescale: u64,
    /// Each period's start in the loop, and (last) the loop's length.
    bounds: Vec<u64>,
}

/// The largest common timescale accepted: beyond it a day of ticks would
/// come close to overflowing 64 bits.
pub const MAX_TIMESCALE: u64 = 1 << 36;

/// One occurrence of a period on the live timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodAt {
    /// The period's position in the programme.
    pub index: usize,
    /// Which pass over the programme (0 from the availability start).
    pub loop_count: u64,
    /// Ticks since the availability start.
    pub start: u64,
    pub duration: u64,
}

impl PeriodAt {
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.duration)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl ProgrammeClock {
    /// The clock of periods of `(duration, timescale)`, in order. `None`
    /// when there are none, one lasts no time, a timescale is 0, or the
    /// common timescale or the loop's length would be too large.
    pub fn new(periods: &[(u64, u32)]) -> Option<ProgrammeClock> {
        if periods.is_empty() {
            return None;
        }
        let mut timescale: u64 = 1;
        for &(d, ts) in periods {
            if d == 0 || ts == 0 {
                return None;
            }
            let ts = u64::from(ts);
            timescale = (timescale / gcd(timescale, ts)).checked_mul(ts)?;
            if timescale > MAX_TIMESCALE {
                return None;
            }
        }
        let mut bounds = Vec::with_capacity(periods.len() + 1);
        let mut at: u64 = 0;
        bounds.push(0);
        for &(d, ts) in periods {
            at = at.checked_add(d.checked_mul(timescale / u64::from(ts))?)?;
            bounds.push(at);
        }
        // A loop longer than 2^52 ticks leaves too little room for loops.
        (at < (1 << 52)).then_some(ProgrammeClock { timescale, bounds })
    }

    /// The length of one pass over the programme, in ticks.
    pub fn total(&self) -> u64 {
        self.bounds.last().copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.bounds.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Period `index` of loop `loop_count`; `None` past the end of the
    /// programme or of 64 bits.
    pub fn at(&self, loop_count: u64, index: usize) -> Option<PeriodAt> {
        let from = *self.bounds.get(index)?;
        let to = *self.bounds.get(index + 1)?;
        let start = loop_count.checked_mul(self.total())?.checked_add(from)?;
        Some(PeriodAt {
            index,
            loop_count,
            start,
            duration: to - from,
        })
    }

    /// The period playing at `t` ticks after the availability start.
    pub fn containing(&self, t: u64) -> PeriodAt {
        let total = self.total().max(1);
        let (loop_count, within) = (t / total, t % total);
        // bounds[0] = 0 <= within < total = last bound.
        let index = self.bounds.partition_point(|&b| b <= within) - 1;
        let index = index.min(self.len() - 1);
        self.at(loop_count, index).unwrap_or(PeriodAt {
            index,
            loop_count,
            start: t,
            duration: 0,
        })
    }

    /// The periods a live window from `from` to `to` (ticks, inclusive of
    /// the one playing at `to`) shows, oldest first: those that end after
    /// `from` and start at or before `to`; at most `limit`, the newest kept.
    pub fn window(&self, from: u64, to: u64, limit: usize) -> Vec<PeriodAt> {
        let mut out = Vec::new();
        if limit == 0 {
            return out;
        }
        let last = self.containing(to);
        let first = self.containing(from.min(to));
        // Walk back from the newest: the count is bounded by `limit`
        // whatever the window's length.
        let mut p = last;
        loop {
            out.push(p);
            if out.len() == limit || (p.loop_count, p.index) == (first.loop_count, first.index) {
                break;
            }
            let prev = match p.index {
                0 => match p.loop_count.checked_sub(1) {
                    Some(k) => self.at(k, self.len() - 1),
                    None => None,
                },
                i => self.at(p.loop_count, i - 1),
            };
            match prev {
                Some(q) => p = q,
                None => break,
            }
        }
        out.reverse();
        out
    }

    /// Ticks of this clock in `ms` milliseconds, rounded down.
    pub fn ticks_of_ms(&self, ms: u64) -> u64 {
        (u128::from(ms) * u128::from(self.timescale) / 1000).min(u128::from(u64::MAX)) as u64
    }

    /// Milliseconds of `ticks` of this clock, rounded down.
    pub fn ms_of_ticks(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * 1000 / u128::from(self.timescale.max(1))) as u64
    }

    /// `ticks` of this clock in `timescale`, rounded down.
    pub fn convert(&self, ticks: u64, timescale: u32) -> u64 {
        (u128::from(ticks) * u128::from(timescale) / u128::from(self.timescale.max(1)))
            .min(u128::from(u64::MAX)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn periods_of_different_timescales_share_one_clock() {
        // 8 s at 240 Hz, 3.84 s at 12800 Hz, 4 s at 1000 Hz.
        let c = ProgrammeClock::new(&[(1920, 240), (49_152, 12_800), (4000, 1000)]).unwrap();
        assert_eq!(c.timescale, 192_000);
        assert_eq!(c.ms_of_ticks(c.total()), 15_840);
        let p = c.containing(c.ticks_of_ms(8_000));
        assert_eq!((p.loop_count, p.index), (0, 1));
        let p = c.containing(c.ticks_of_ms(15_840 * 3 + 12_000));
        assert_eq!((p.loop_count, p.index), (3, 2));
        assert_eq!(c.ms_of_ticks(p.start), 15_840 * 3 + 11_840);
        assert!(ProgrammeClock::new(&[]).is_none());
        assert!(ProgrammeClock::new(&[(0, 1000)]).is_none());
        assert!(ProgrammeClock::new(&[(10, 0)]).is_none());
        // Coprime huge timescales: refused, not overflowed.
        assert!(ProgrammeClock::new(&[(1, 4_294_967_291), (1, 4_294_967_279)]).is_none());
    }

    #[test]
    fn a_window_is_bounded() {
        let c = ProgrammeClock::new(&[(1, 1000), (1, 1000)]).unwrap();
        let w = c.window(0, 1_000_000_000, 10);
        assert_eq!(w.len(), 10);
        assert_eq!(w.last().unwrap().start, 1_000_000_000);
    }

    fn programme() -> impl Strategy<Value = Vec<(u64, u32)>> {
        prop::collection::vec(
            (
                1u64..100_000,
                prop::sample::select(vec![1000u32, 240, 12_800, 48_000, 44_100, 90_000]),
            ),
            1..12,
        )
    }

    proptest! {
        /// Periods follow each other with neither gap nor overlap, across
        /// loop boundaries too, and each lasts what the programme says.
        #[test]
        fn periods_tile_the_timeline(periods in programme(), from in 0u64..1u64 << 40, span in 0u64..1u64 << 24) {
            let Some(c) = ProgrammeClock::new(&periods) else { return Ok(()); };
            let w = c.window(from, from + span, 10_000);
            prop_assert!(!w.is_empty());
            // A window of more periods than the limit keeps the newest.
            if w.len() < 10_000 {
                prop_assert!(w[0].start <= from && from < w[0].end().max(from + 1));
            }
            let last = w[w.len() - 1];
            prop_assert!(last.start <= from + span && from + span < last.end());
            for pair in w.windows(2) {
                prop_assert_eq!(pair[0].end(), pair[1].start);
                let next = (pair[0].index + 1) % periods.len();
                prop_assert_eq!(pair[1].index, next);
                let loop_step = u64::from(next == 0);
                prop_assert_eq!(pair[1].loop_count, pair[0].loop_count + loop_step);
            }
            for p in &w {
                let (d, ts) = periods[p.index];
                prop_assert_eq!(p.duration, d * (c.timescale / u64::from(ts)));
                // Loop k starts exactly k programme lengths in.
                prop_assert_eq!(c.at(p.loop_count, 0).unwrap().start, p.loop_count * c.total());
            }
        }

        /// The period containing t is the one whose span holds it.
        #[test]
        fn containing_holds_the_instant(periods in programme(), t in 0u64..1u64 << 44) {
            let Some(c) = ProgrammeClock::new(&periods) else { return Ok(()); };
            let p = c.containing(t);
            prop_assert!(p.start <= t && t < p.end());
        }
    }
}
