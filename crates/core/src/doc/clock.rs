//! The document's clock for last-writer-wins registers: a hybrid logical
//! clock in milliseconds. A timestamp is the wall clock's time when the
//! application gives one (`std` builds read the system clock by default),
//! raised above every timestamp the written register holds and above the
//! clock's previous timestamp, so it never goes back and always beats what
//! it has seen, even when the device's clock is behind.

use alloc::boxed::Box;

type WallClock = Box<dyn FnMut() -> u64 + Send>;

/// A hybrid logical clock.
pub(crate) struct Clock {
    /// Milliseconds of the wall clock, if there is one.
    wall: Option<WallClock>,
    last: u64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            wall: system_clock(),
            last: 0,
        }
    }
}

#[cfg(feature = "std")]
fn system_clock() -> Option<WallClock> {
    Some(Box::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }))
}

#[cfg(not(feature = "std"))]
fn system_clock() -> Option<WallClock> {
    None
}

impl Clock {
    /// Uses `wall` (milliseconds) as the wall clock from now on.
    pub(crate) fn set_wall(&mut self, wall: Option<WallClock>) {
        self.wall = wall;
    }

    /// The next timestamp: after the wall clock, after `seen` (the greatest
    /// timestamp the written register holds) and after the previous one.
    pub(crate) fn tick(&mut self, seen: Option<u64>) -> u64 {
        let wall = self.wall.as_mut().map_or(0, |f| f());
        let floor = self.last.max(seen.unwrap_or(0)).saturating_add(1);
        self.last = wall.max(floor);
        self.last
    }
}
