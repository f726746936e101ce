//! Progress bars on stderr (indicatif), drawn only when stderr is a
//! terminal: piped or redirected output gets the results and nothing else.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use patchstorm::time::{Millis, HOUR};

/// Where a bar draws: stderr when it is a terminal and a bar is wanted, else nowhere.
fn target(wanted: bool) -> ProgressDrawTarget {
    if wanted && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("the templates below are valid").progress_chars("#> ")
}

/// `run`'s bar over simulated time, with the speed in events and in
/// simulated hours per second of wall time.
pub struct Progress {
    bar: ProgressBar,
    end: Millis,
}

impl Progress {
    pub fn new(wanted: bool, end: Millis) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(end.max(1)), target(wanted));
        bar.set_style(style("[{wide_bar}] {percent:>3}%  {msg}  {elapsed} elapsed, {eta} left"));
        Progress { bar, end }
    }

    pub fn show(&self, now: Millis, events: u64) {
        if self.bar.is_hidden() {
            return;
        }
        let secs = self.bar.elapsed().as_secs_f64().max(1e-3);
        let hours = now as f64 / HOUR as f64;
        self.bar.set_message(format!(
            "{hours:.1}/{:.0} simulated h, {:.1} M events/s, {:.1} simulated h/s",
            self.end as f64 / HOUR as f64,
            events as f64 / 1e6 / secs,
            hours / secs
        ));
        self.bar.set_position(now);
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}

/// Counts finished runs; `tick` may be called from any thread.
pub struct Counter {
    bar: ProgressBar,
}

impl Counter {
    pub fn new(total: usize, what: &'static str) -> Counter {
        // A study part with nothing to run (no scale check needed) shows no bar.
        let bar = ProgressBar::with_draw_target(Some(total as u64), target(total > 0));
        bar.set_style(style("[{wide_bar}] {pos}/{len} {msg}  {elapsed} elapsed"));
        bar.set_message(what);
        Counter { bar }
    }

    pub fn tick(&self) {
        self.bar.inc(1);
        // Two threads may both see the last run counted; finishing twice draws the same line.
        if self.bar.length().is_some_and(|n| self.bar.position() >= n) {
            self.bar.finish();
        }
    }
}
