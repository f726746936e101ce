//! What the page draws, as flat buffers the core fills: one row of numbers
//! per live supernode and a few totals. The page lays out and draws from
//! these; it never asks about single peers.

use crate::sim::Simulation;

/// Numbers per supernode row in [`Frame::supernodes`].
pub const SN_FIELDS: usize = 7;
/// Column names of a supernode row: its slot, client capacity and clients,
/// the share of requests it answers, 1 for a mega-supernode, minutes since
/// its promotion, and 1 if it takes new clients.
pub const SN_COLUMNS: [&str; SN_FIELDS] = ["slot", "capacity", "clients", "answer", "mega", "age_min", "accepting"];
/// Names of the numbers in [`Frame::totals`]: the peer states (`peer::STATES`
/// by name), then peers backing off at login and while searching; the time
/// series' columns of the same names count the same peers.
pub const TOTALS_COLUMNS: [&str; crate::peer::STATES.len() + 2] =
    ["offline", "restarting", "login_wait", "searching", "connected", "supernode", "login_backoff", "search_backoff"];
/// Names of the numbers in [`Frame::login`].
pub const LOGIN_COLUMNS: [&str; 4] = ["queued", "capacity_ps", "requests_ps", "accepted_ps"];

/// One frame of the network view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// `SN_FIELDS` numbers per live supernode, ordered by slot so a
    /// supernode keeps its place between frames.
    pub supernodes: Vec<f64>,
    /// Peers per state, in the order of `peer::STATES`, then peers backing
    /// off at login and while searching: [`TOTALS_COLUMNS`].
    pub totals: Vec<f64>,
    /// Login servers: requests queued, capacity per second, requests per
    /// second and logins per second in the last sample: [`LOGIN_COLUMNS`].
    pub login: Vec<f64>,
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
                f64::from(u8::from(sn.is_mega() || sns.accepting[sn.class as usize])),
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
        debug_assert_eq!(into.totals.len(), TOTALS_COLUMNS.len());
        debug_assert_eq!(into.login.len(), LOGIN_COLUMNS.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::COLUMNS;
    use crate::peer::STATES;

    #[test]
    fn the_totals_are_named_as_the_states_and_the_series_name_them() {
        let states: Vec<&str> = STATES.iter().map(|s| s.name()).collect();
        assert_eq!(TOTALS_COLUMNS[..STATES.len()], states[..]);
        for name in TOTALS_COLUMNS {
            assert!(COLUMNS.contains(&name), "{name} is a column of the time series");
        }
    }

    #[test]
    fn a_captured_frame_has_a_number_for_every_name() {
        let scenario = crate::Scenario::from_query("preset=calm-day&peers=2000&hours=2").unwrap();
        let mut sim = Simulation::new(&scenario);
        sim.run_until(3_600_000);
        let mut frame = Frame::default();
        Frame::capture(&sim, &mut frame);
        assert!(!frame.supernodes.is_empty() && frame.supernodes.len() % SN_COLUMNS.len() == 0);
        assert_eq!(frame.totals.len(), TOTALS_COLUMNS.len());
        assert_eq!(frame.login.len(), LOGIN_COLUMNS.len());
        assert_eq!(frame.totals[..STATES.len()].iter().sum::<f64>(), 2000.0, "every peer is in one state");
    }
}
