//! The story of a run: the moments of its cascade, found in its own series,
//! in order, each with a sentence or three that quote the run's figures, the
//! views to look at and what is published [P] and what is the model's
//! hypothesis [H] (`docs/reference/skype-outages.md`). Nothing here is a
//! time typed in: a run with another restart rate or policy tells its own
//! story, down to "this run never collapses".
//!
//! The moments, each found by one function below:
//! - `wave_starts` / `crash`: the first restart after the trigger;
//! - `login_flood`: the first sample where login requests pass what the
//!   servers can complete;
//! - `core_lost`: the first sample where the peers needing a supernode
//!   outnumber the places on the live ones (`seeds::core_series`);
//! - `overload`: the sample where connection attempts per live supernode
//!   peak, above what a typical supernode handles;
//! - `rebuild`: the deepest point of the online count, where it turns;
//! - `heals` | `relapses` | `does_not_heal`: as `shape.rs` classifies it;
//! - `never_collapses`: a run that does not fall below `shape::COLLAPSED`.
//!
//! A run still playing tells its story so far: the closing step of a run
//! that has not healed or not collapsed waits for its end.

use serde::Serialize;

use super::run::Run;
use super::seeds::{core_series, Core};
use super::shape::{self, CLIMBED_BACK, COLLAPSED, RECOVERED, RELAPSED};
use super::words::move_text;
use crate::metrics::Sample;
use crate::policy::{Choice, Overload};
use crate::time::{civil_from_days, HOUR};

/// Connection attempts per live supernode, over what a typical supernode
/// handles (`sn_attempt_capacity`), above which the `overload` moment counts.
pub const OVERLOADED: f64 = 1.0;
/// Login requests over capacity above which the login servers are flooded.
pub const FLOODED: f64 = 1.0;

/// The page's views a step points at (the ids in `www/index.html`).
pub const NETWORK: &str = "network";
pub const CHART_ONLINE: &str = "chart-online";
pub const CHART_SUPERNODES: &str = "chart-supernodes";
pub const CHART_LOGIN: &str = "chart-login";
pub const CHART_RETRIES: &str = "chart-retries";

/// What a step rests on: published [P] (with its source) or the model's
/// hypothesis [H].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cite {
    /// "P" or "H".
    pub tag: &'static str,
    pub text: String,
    /// Where a published fact was published; `None` for a hypothesis.
    pub source: Option<&'static str>,
}

fn published(text: &str, source: &'static str) -> Cite {
    Cite { tag: "P", text: text.into(), source: Some(source) }
}

fn hypothesis(text: impl Into<String>) -> Cite {
    Cite { tag: "H", text: text.into(), source: None }
}

/// One moment of the story.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// A stable id: `wave_starts`, `crash`, `login_flood`, `core_lost`,
    /// `overload`, `rebuild`, `heals`, `relapses`, `does_not_heal`,
    /// `never_collapses`.
    pub kind: &'static str,
    /// The moment to jump to: a sample time of the run, ms.
    pub t_ms: u64,
    pub title: String,
    pub text: String,
    /// The views to highlight (the `CHART_*` ids and `NETWORK`).
    pub look_at: Vec<&'static str>,
    pub cites: Vec<Cite>,
}

/// A run's story: its steps in time order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Story {
    pub steps: Vec<Step>,
}

impl Story {
    pub fn kinds(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.kind).collect()
    }
}

/// The story of `run` as far as it has gone.
pub fn story(run: &Run) -> Story {
    let r = Reading::of(run);
    let mut steps = Vec::new();
    steps.extend(wave_starts(&r));
    let collapsed = shape::shape(run).collapse_h.is_some();
    if collapsed {
        steps.extend(login_flood(&r));
        steps.extend(core_lost(&r));
        steps.extend(overload(&r));
        steps.extend(rebuild(&r));
        steps.extend(ending(&r));
    } else if run.done {
        steps.extend(never_collapses(&r));
    }
    // Moments found apart come out in time order; equal times keep the
    // order of the cascade.
    steps.sort_by_key(|s| s.t_ms);
    Story { steps }
}

/// The run, read once for the moments: the samples from the summary's start
/// (the trigger) on, and the supernode core at each.
struct Reading<'a> {
    run: &'a Run,
    after: Vec<(&'a Sample, Core)>,
    start_h: f64,
}

impl<'a> Reading<'a> {
    fn of(run: &'a Run) -> Reading<'a> {
        let start_h = shape::summary_start_h(run);
        let after = run.series.iter().zip(core_series(run)).filter(|(s, _)| s.t_hours >= start_h).collect();
        Reading { run, after, start_h }
    }

    /// The sample time of `s`, ms.
    fn t_ms(&self, s: &Sample) -> u64 {
        libm::round(s.t_hours * HOUR as f64) as u64
    }

    /// "16 Aug 03:00 UTC" (the run's clock, to the minute).
    fn when(&self, s: &Sample) -> String {
        let unix_s = self.run.config.start_unix_ms / 1_000 + libm::round(s.t_hours * 3_600.0) as i64;
        let (_, m, d) = civil_from_days(unix_s.div_euclid(86_400));
        let secs = unix_s.rem_euclid(86_400);
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        format!("{d} {} {:02}:{:02} UTC", MONTHS[m as usize - 1], secs / 3_600, (secs / 60) % 60)
    }

    /// "5 h 10 min after the trigger".
    fn since_trigger(&self, s: &Sample) -> String {
        format!("{} after the trigger", move_text(s.t_hours - self.start_h))
    }

    /// The sample before the trigger (the network as it was), or the first.
    fn before(&self) -> &'a Sample {
        let series = &self.run.series;
        series.iter().take_while(|s| s.t_hours < self.start_h).last().or(series.first()).expect("a run has samples")
    }

    fn seconds_per_sample(&self) -> f64 {
        self.run.config.sample as f64 / 1_000.0
    }

    /// Places for clients on the live supernodes and mega-supernodes.
    fn places(&self, s: &Sample) -> f64 {
        let cfg = &self.run.config;
        s.sn_live * cfg.sn_capacity as f64 + s.sn_mega * cfg.mega.map_or(0.0, |m| m.capacity as f64)
    }

    fn crash(&self) -> bool {
        self.run.config.crash.is_some()
    }
}

fn share_of_normal(s: &Sample) -> f64 {
    s.online_share / s.normal_share.max(1e-12)
}

fn pct(x: f64) -> String {
    if x < 0.1 {
        format!("{:.1}%", x * 100.0)
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

fn count(x: f64) -> String {
    let n = libm::round(x) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn times(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}")
    } else {
        format!("{:.0}", libm::round(x))
    }
}

/// The first restart at or after the trigger (the trigger's sample if none
/// shows): the 2007 wave, or the 2010 client crash.
fn wave_starts(r: &Reading) -> Option<Step> {
    if !r.run.scenario.has_trigger() || r.after.is_empty() {
        return None;
    }
    let (first, _) = r.after.iter().find(|(s, _)| s.restarts_ps > 0.0).or(r.after.first())?;
    let restarts: f64 = r.after.iter().map(|(s, _)| s.restarts_ps).sum::<f64>() * r.seconds_per_sample();
    let peak_per_h = r.after.iter().map(|(s, _)| s.restarts_ps).fold(0.0, f64::max) * 3_600.0;
    let peers = r.run.config.peers as f64;
    let before = r.before();
    let sn_low = r
        .after
        .iter()
        .take_while(|(s, _)| s.t_hours <= first.t_hours + 2.0)
        .map(|(s, _)| s.sn_live)
        .fold(f64::INFINITY, f64::min);
    let (kind, title, head, cites) = if r.crash() {
        (
            "crash",
            "The client starts crashing",
            format!(
                "At {} the faulty client version starts to crash on the slow replies of the message servers, and \
                 users restart it.",
                r.when(first)
            ),
            vec![
                published(
                    "Windows client 5.0.0152, about half of all users, crashed on delayed replies from overloaded \
                     offline-message servers; about 40% of those clients crashed, 25-30% of the public supernodes \
                     among them",
                    "Skype CIO Lars Rabbe, Dec 29 2010",
                ),
                hypothesis("A restarted faulty client crashes again within minutes while the servers stay slow"),
            ],
        )
    } else {
        (
            "wave_starts",
            "The restart wave begins",
            format!(
                "At {}, {}, the first PCs restart to install the patches: Windows installs them at 3:00 local \
                 time, so the wave rolls across the time zones.",
                r.when(first),
                r.since_trigger(first)
            ),
            vec![
                published(
                    "Microsoft's monthly patches (Aug 14 2007) made a very large number of Windows PCs restart \
                     within a short time",
                    "Skype blog, Aug 20 2007",
                ),
                published(
                    "Automatic Updates installed at 3:00 local time and rebooted after a 5-minute countdown; about \
                     80% of installs were automatic",
                    "Microsoft blogs, 2006 and 2008",
                ),
                hypothesis("The trigger is set a day after the patches came out; the restart rate is a knob"),
            ],
        )
    };
    let peak_hour = peak_per_h.min(restarts);
    // A crashed client that restarts may crash again, so the crash's rate
    // is counted per 100 peers, which it can pass.
    let share = if r.crash() {
        format!("{} for every 100 peers, as restarted clients crash again", count(100.0 * peak_hour / peers))
    } else {
        format!("{} of the peers", pct(peak_hour / peers))
    };
    let text = format!(
        "{head} {} restarts in all, at up to {} an hour ({share}); the supernodes go from {} to {} within \
         two hours.",
        count(restarts),
        count(peak_hour),
        count(before.sn_live),
        count(sn_low.min(before.sn_live)),
    );
    Some(Step { kind, t_ms: r.t_ms(first), title: title.into(), text, look_at: vec![NETWORK, CHART_ONLINE], cites })
}

/// The first sample at which login requests pass what the servers can
/// complete (by more than [`FLOODED`]), and how far they go at the peak.
fn login_flood(r: &Reading) -> Option<Step> {
    let over = |s: &Sample| s.login_requests_ps / s.login_capacity_ps.max(1e-12);
    let (first, _) = r.after.iter().find(|(s, _)| over(s) > FLOODED)?;
    let (peak, _) = r.after.iter().max_by(|a, b| over(a.0).total_cmp(&over(b.0)))?;
    let admission = r.run.config.login_admission;
    let why = if admission {
        "The servers refuse what they cannot serve in time (admission control), so the clients they take are \
         logged in, and the rest back off."
    } else {
        "Without admission control the queue grows until it serves mostly requests whose clients have already \
         given up, and those clients ask again: the servers work flat out and log almost nobody in."
    };
    let text = format!(
        "At {} login requests pass what the login servers can complete ({}/s for this network). At the peak, at {}, \
         they reach {} times that. {why}",
        r.when(first),
        times(first.login_capacity_ps),
        r.when(peak),
        times(over(peak)),
    );
    let mut cites = Vec::new();
    if !r.crash() {
        cites.push(published(
            "The restarts caused a flood of log-in requests, which with the lack of peer-to-peer network resources \
             started a chain reaction",
            "Skype blog, Aug 20 2007",
        ));
    }
    cites.push(published(
        "A long queue without admission control serves requests already given up: a metastable failure, sustained \
         by retries",
        "Bronson et al., HotOS 2021",
    ));
    cites.push(hypothesis(if admission {
        "The login servers' capacity per million peers is a model value; these servers refuse what they cannot serve"
    } else {
        "The login servers' capacity per million peers and the clients' timeout are model values"
    }));
    Some(Step {
        kind: "login_flood",
        t_ms: r.t_ms(first),
        title: "The login servers are flooded".into(),
        text,
        look_at: vec![CHART_LOGIN],
        cites,
    })
}

/// The first sample at which the peers that need a supernode outnumber the
/// places on the live ones: the supernode core no longer holds the network.
fn core_lost(r: &Reading) -> Option<Step> {
    let (s, _) = r.after.iter().find(|(_, c)| c.demand > c.slots)?;
    let before = r.before();
    let text = format!(
        "At {} the peers that need a supernode ({}) outnumber the places on the live supernodes ({}): {} supernodes \
         are left, against {} before the trigger. A client that finds no place keeps searching, and every attempt \
         loads the supernodes that remain.",
        r.when(s),
        count(s.sn_demand),
        count(r.places(s)),
        count(s.sn_live + s.sn_mega),
        count(before.sn_live + before.sn_mega),
    );
    Some(Step {
        kind: "core_lost",
        t_ms: r.t_ms(s),
        title: "The supernode core is lost".into(),
        text,
        look_at: vec![CHART_SUPERNODES, NETWORK],
        cites: vec![
            published(
                "A supernode serves a cluster of up to several hundred clients",
                "Skype Network Administrator's Guide; Skype CIO post-mortem, Dec 2010",
            ),
            if r.crash() {
                published(
                    "25-30% of the publicly reachable supernodes crashed; a restarted supernode takes a while before \
                     it serves again",
                    "Skype CIO Lars Rabbe, Dec 29 2010",
                )
            } else {
                published(
                    "The P2P core was not tuned to cope with high load during mass supernode reboots",
                    "Skype blog, Aug 21 2007",
                )
            },
            hypothesis("The core is lost when the places on live supernodes fall below the peers that need one"),
        ],
    })
}

/// The sample at which connection attempts per live supernode peak, if
/// above [`OVERLOADED`] times what a typical supernode handles.
fn overload(r: &Reading) -> Option<Step> {
    let (s, c) = r.after.iter().max_by(|a, b| a.1.attempts.total_cmp(&b.1.attempts))?;
    if c.attempts <= OVERLOADED {
        return None;
    }
    let shutdown = r.run.config.sn_overload == Overload::Shutdown;
    let state = if shutdown {
        format!(
            "{} supernodes are left: an overloaded supernode takes itself offline, and its clients load the rest.",
            count(s.sn_live)
        )
    } else {
        let which = if s.sn_overloaded >= s.sn_live {
            format!("All {} live supernodes answer", count(s.sn_live))
        } else {
            format!("{} of the {} live supernodes answer", count(s.sn_overloaded), count(s.sn_live))
        };
        format!("{which} only part of their traffic; the clients they drop retry on the others.")
    };
    let text = format!(
        "At {} each live supernode gets {} times the connection attempts a typical supernode handles ({}/s, with {} \
         attach attempts a second in all). {state}",
        r.when(s),
        times(c.attempts),
        times(s.sn_load),
        count(s.attach_attempts_ps),
    );
    let mut cites = vec![hypothesis(if shutdown {
        "Supernodes differ in how much they handle, from a quarter to four times a typical one; past it they take \
         themselves offline"
    } else {
        "Supernodes differ in how much they handle, from a quarter to four times a typical one; past it they answer \
         only part of their traffic"
    })];
    if shutdown {
        cites.insert(
            0,
            published(
                "Restarting clients pushed supernode traffic to about 100 times normal; supernodes take themselves \
                 offline when overloaded, which fed the cascade",
                "Skype CIO Lars Rabbe, Dec 29 2010",
            ),
        );
    } else {
        cites.insert(
            0,
            published(
                "A previously unseen bug in the network resource allocation algorithm kept the network from \
                 healing quickly",
                "Skype blog, Aug 20 2007",
            ),
        );
    }
    Some(Step {
        kind: "overload",
        t_ms: r.t_ms(s),
        title: "The supernodes are overloaded".into(),
        text,
        look_at: vec![CHART_SUPERNODES, CHART_RETRIES],
        cites,
    })
}

/// The deepest point of the online count after the trigger, where the
/// network turns and begins to rebuild; how far its core has grown by the
/// time it is back, or by the end.
fn rebuild(r: &Reading) -> Option<Step> {
    let (low, _) = r.after.iter().min_by(|a, b| share_of_normal(a.0).total_cmp(&share_of_normal(b.0)))?;
    let later = r.after.iter().filter(|(s, _)| s.t_hours >= low.t_hours);
    let (back, _) = later.clone().find(|(s, _)| share_of_normal(s) >= RECOVERED).or(r.after.last())?;
    let megas = back.sn_mega;
    let operator = if megas > 0.0 {
        format!(" with {} of the operator's mega-supernodes among them", count(megas))
    } else {
        String::new()
    };
    let text = format!(
        "Online bottoms out at {} of a normal day at {}. From here the network rebuilds its core: {} supernodes at \
         the bottom, {} by {}{operator}.",
        pct(share_of_normal(low)),
        r.when(low),
        count(low.sn_live + low.sn_mega),
        count(back.sn_live + back.sn_mega),
        r.when(back),
    );
    let cites = if megas > 0.0 {
        vec![
            published(
                "Skype started hundreds, then thousands, of dedicated mega-supernodes on its own servers until the \
                 network healed",
                "Skype CIO Lars Rabbe, Dec 29 2010",
            ),
            hypothesis("The mega-supernodes' number, start and ramp are scaled to the network and fitted"),
        ]
    } else {
        vec![hypothesis(format!(
            "The allocation policy ({}) promotes a replacement only after {} of uptime, at its own pace",
            r.run.scenario.policy().key(),
            move_text(r.run.config.promote_uptime as f64 / HOUR as f64),
        ))]
    };
    Some(Step {
        kind: "rebuild",
        t_ms: r.t_ms(low),
        title: "The network starts to rebuild".into(),
        text,
        look_at: vec![CHART_ONLINE, CHART_SUPERNODES],
        cites,
    })
}

/// How the run ends, as `shape.rs` classifies it: it relapsed, it healed,
/// or (once it is done) it did not heal.
fn ending(r: &Reading) -> Option<Step> {
    let sh = shape::shape(r.run);
    let at_h = |h: f64| r.after.iter().map(|(s, _)| *s).find(|s| s.t_hours - r.run.trigger_h() >= h - 1e-9);
    if let Some(&first) = sh.relapses.first() {
        let s = at_h(first)?;
        let end = match sh.after_relapses() {
            Some(Some(h)) => at_h(h).map_or(String::new(), |b| {
                format!(
                    " After its last relapse it is back above {} at {} and stays above {}.",
                    pct(CLIMBED_BACK),
                    r.when(b),
                    pct(RELAPSED)
                )
            }),
            _ => format!(" It ends the run below {} of normal.", pct(RELAPSED)),
        };
        let text = format!(
            "Having climbed back above {} of a normal day, online falls below {} again at {} ({} relapse{} in \
             all): the rebuilt core cannot yet hold everyone who comes back.{end}",
            pct(CLIMBED_BACK),
            pct(RELAPSED),
            r.when(s),
            sh.relapses.len(),
            if sh.relapses.len() == 1 { "" } else { "s" },
        );
        return Some(Step {
            kind: "relapses",
            t_ms: r.t_ms(s),
            title: "It relapses".into(),
            text,
            look_at: vec![CHART_ONLINE, CHART_SUPERNODES],
            cites: vec![
                published(
                    "Recovery relapsed: the online count climbed back toward 6 M, then fell to about 0.6 M, late on \
                     Aug 17",
                    "Skype's online counter",
                ),
                hypothesis(format!(
                    "A relapse is a fall below {} of normal after climbing back above {}",
                    pct(RELAPSED),
                    pct(CLIMBED_BACK)
                )),
            ],
        });
    }
    let heal_cites = || {
        let fact = if r.crash() {
            published("About 24 hours of severe disruption; near normal on Dec 24", "Skype CIO Lars Rabbe, Dec 29 2010")
        } else {
            published("Unavailable to most users for about two days", "Skype blog and press, Aug 2007")
        };
        vec![
            fact,
            hypothesis(format!("Healed: back to {} of a normal day, and staying there for an hour", pct(RECOVERED))),
        ]
    };
    match shape::healed_after(r.run) {
        Some(h) => {
            let s = r.after.iter().map(|(s, _)| *s).find(|s| s.t_hours - r.start_h >= h - 1e-9)?;
            let text = format!(
                "At {}, {}, online is back to {} of a normal day and stays there: the core holds everyone who needs \
                 it again.",
                r.when(s),
                r.since_trigger(s),
                pct(RECOVERED),
            );
            Some(Step {
                kind: "heals",
                t_ms: r.t_ms(s),
                title: "The network heals".into(),
                text,
                look_at: vec![CHART_ONLINE],
                cites: heal_cites(),
            })
        }
        None if r.run.done => {
            let (s, _) = r.after.last()?;
            let text = format!(
                "The run ends at {} with online at {} of a normal day: {} after the trigger it has not healed (back \
                 to {} for an hour). Make the run longer to see whether it does.",
                r.when(s),
                pct(share_of_normal(s)),
                move_text(s.t_hours - r.start_h),
                pct(RECOVERED),
            );
            Some(Step {
                kind: "does_not_heal",
                t_ms: r.t_ms(s),
                title: "It does not heal".into(),
                text,
                look_at: vec![CHART_ONLINE, CHART_SUPERNODES],
                cites: heal_cites(),
            })
        }
        None => None,
    }
}

/// A run that never falls below [`COLLAPSED`] of normal: how low it went,
/// and why not lower (the login servers kept up, the core kept places).
fn never_collapses(r: &Reading) -> Option<Step> {
    let (low, _) = r.after.iter().min_by(|a, b| share_of_normal(a.0).total_cmp(&share_of_normal(b.0)))?;
    let peak_login = r.after.iter().map(|(s, _)| s.login_requests_ps).fold(0.0, f64::max);
    let capacity = low.login_capacity_ps;
    let fullest = r.after.iter().map(|(_, c)| if c.slots > 0.0 { c.demand / c.slots } else { 0.0 }).fold(0.0, f64::max);
    let login = if peak_login <= capacity * FLOODED {
        format!("The login servers kept up: requests peaked at {}/s against {}/s.", times(peak_login), times(capacity))
    } else {
        format!(
            "Login requests passed capacity, up to {} times it, but the network held.",
            times(peak_login / capacity.max(1e-12))
        )
    };
    let core = if fullest <= 1.0 {
        format!(
            "The supernodes always had a place for everyone who needed one: at most {} of the places were needed.",
            pct(fullest)
        )
    } else {
        format!("The peers needing a supernode outnumbered the places for a while ({} times at most), and the core caught up.", times(fullest))
    };
    let text = format!(
        "This run never collapses: online stays above {} of a normal day, at its lowest {} at {}. {login} {core}",
        pct(COLLAPSED),
        pct(share_of_normal(low)),
        r.when(low),
    );
    Some(Step {
        kind: "never_collapses",
        t_ms: r.t_ms(low),
        title: "This run never collapses".into(),
        text,
        look_at: vec![CHART_ONLINE, CHART_LOGIN],
        cites: vec![
            published(
                "A metastable failure needs a trigger and a sustaining effect, most often retries, that keeps the \
                 system down after the trigger is gone",
                "Bronson et al., HotOS 2021; Huang et al., OSDI 2022",
            ),
            hypothesis(format!("Collapsed: online below {} of a normal day", pct(COLLAPSED))),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ratios_read_as_a_reader_writes_them() {
        assert_eq!(count(1234567.4), "1,234,567");
        assert_eq!(count(999.0), "999");
        assert_eq!(times(5.26), "5.3");
        assert_eq!(times(712.4), "712");
        assert_eq!(pct(0.034), "3.4%");
        assert_eq!(pct(0.95), "95%");
    }
}
