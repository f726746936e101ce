//! What the page draws, as flat buffers the core fills: one row of numbers
//! per live supernode and a few totals. The page lays out and draws from
//! these; it never asks about single peers.

use crate::sim::Simulation;

/// Numbers per supernode row in [`Frame::supernodes`].
pub const SN_FIELDS: usize = 6;
/// Column names of a supernode row.
pub const SN_COLUMNS: [&str; SN_FIELDS] = ["slot", "capacity", "clients", "answer", "mega", "age_min"];

/// Supernode states the legend explains; `sn_state` gives each row's.
pub const SN_HEALTHY: u8 = 0;
pub const SN_FULL: u8 = 1;
pub const SN_OVERLOADED: u8 = 2;

/// One frame of the network view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// `SN_FIELDS` numbers per live supernode, ordered by slot so a
    /// supernode keeps its place between frames.
    pub supernodes: Vec<f64>,
    /// Peers per state, in the order of `peer::STATES`, then peers backing
    /// off at login and while searching.
    pub totals: Vec<f64>,
    /// Login servers: requests queued, capacity per second, requests per
    /// second and logins per second in the last sample.
    pub login: Vec<f64>,
}

pub fn sn_state(capacity: f64, clients: f64, answer: f64) -> u8 {
    if answer < 1.0 {
        SN_OVERLOADED
    } else if clients >= capacity {
        SN_FULL
    } else {
        SN_HEALTHY
    }
}

impl Frame {
    pub fn capture(sim: &Simulation, into: &mut Frame) {
        let sns = sim.supernodes();
        let mut slots: Vec<u32> = sns.live.clone();
        slots.sort_unstable();
        into.supernodes.clear();
        let now_min = sim.now() as f64 / 60_000.0;
        for slot in slots {
            let sn = &sns.slots[slot as usize];
            let promoted_min = sn.bucket as f64 * crate::supernode::BUCKET as f64 / 60_000.0;
            into.supernodes.extend_from_slice(&[
                slot as f64,
                sn.capacity as f64,
                sn.clients.len() as f64,
                sns.answer_of(slot),
                f64::from(u8::from(sn.is_mega())),
                (now_min - promoted_min).max(0.0),
            ]);
        }
        into.totals.clear();
        into.totals.extend(sim.state_counts().iter().map(|&c| c as f64));
        into.totals.push(sim.login().backing_off() as f64);
        into.totals.push(sim.searching_backing_off() as f64);
        into.login.clear();
        let last = sim.series().last();
        into.login.extend_from_slice(&[
            sim.login().queued() as f64,
            sim.config().login_capacity,
            last.map_or(0.0, |s| s.login_requests_ps),
            last.map_or(0.0, |s| s.login_accepted_ps),
        ]);
        debug_assert_eq!(into.totals.len(), crate::peer::STATES.len() + 2);
    }
}
