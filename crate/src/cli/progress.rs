//! A progress bar on stderr, shown only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use patchstorm::time::{Millis, HOUR};

pub struct Progress {
    on: bool,
    end: Millis,
    started: Instant,
    last_draw: Option<Instant>,
    /// For counting runs instead of simulated time.
    what: &'static str,
    total: usize,
}

impl Progress {
    pub fn new(wanted: bool, end: Millis) -> Progress {
        Progress {
            on: wanted && std::io::stderr().is_terminal(),
            end,
            started: Instant::now(),
            last_draw: None,
            what: "",
            total: 0,
        }
    }

    /// A bar over `total` runs.
    pub fn runs(what: &'static str, total: usize) -> Progress {
        Progress { what, total, ..Progress::new(true, 1) }
    }

    pub fn show_runs(&mut self, done: usize) {
        if !self.on {
            return;
        }
        let frac = done as f64 / self.total.max(1) as f64;
        let width = 30;
        let filled = (frac * width as f64) as usize;
        let secs = self.started.elapsed().as_secs_f64();
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {done}/{} {}  {:.0} s elapsed   ",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.total,
            self.what,
            secs
        );
    }

    pub fn show(&mut self, now: Millis, events: u64) {
        if !self.on {
            return;
        }
        if self.last_draw.is_some_and(|t| t.elapsed().as_millis() < 100) && now < self.end {
            return;
        }
        self.last_draw = Some(Instant::now());
        let frac = (now as f64 / self.end.max(1) as f64).min(1.0);
        let width = 30;
        let filled = (frac * width as f64) as usize;
        let secs = self.started.elapsed().as_secs_f64();
        let eta = if frac > 0.01 { secs / frac - secs } else { f64::NAN };
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {:3.0}%  {:.1}/{:.0} simulated h  {:.1} M events  {:.0} s elapsed{}   ",
            "#".repeat(filled),
            " ".repeat(width - filled),
            frac * 100.0,
            now as f64 / HOUR as f64,
            self.end as f64 / HOUR as f64,
            events as f64 / 1e6,
            secs,
            if eta.is_finite() { format!(", about {eta:.0} s left") } else { String::new() }
        );
    }

    pub fn finish(&mut self) {
        if self.on {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// Counts finished runs on stderr when it is a terminal.
pub struct Counter {
    total: usize,
    done: AtomicUsize,
    bar: Mutex<Progress>,
}

impl Counter {
    pub fn new(total: usize, what: &'static str) -> Counter {
        Counter { total, done: AtomicUsize::new(0), bar: Mutex::new(Progress::runs(what, total)) }
    }
    pub fn tick(&self) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut bar) = self.bar.lock() {
            bar.show_runs(n);
        }
        if n == self.total {
            if let Ok(mut bar) = self.bar.lock() {
                bar.finish();
            }
        }
    }
}
