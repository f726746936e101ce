//! patchstorm: a deterministic model of Skype's two-tier peer-to-peer
//! network, built to replay how it collapsed in August 2007 and December
//! 2010 and failed to heal, and to explore what stops such a metastable
//! failure.
//!
//! The crate is a pure simulation core (no browser types, no wall clock, no
//! OS entropy; all randomness flows from the scenario's seed), a thin
//! WebAssembly binding module (`wasm`, only on `wasm32`), and the
//! `patchstorm` command-line tool.
//!
//! ```
//! use patchstorm::{summary, Run, Scenario, Simulation};
//!
//! let scenario = Scenario::from_query("preset=calm-day&peers=5000&hours=6").unwrap();
//! let mut sim = Simulation::new(&scenario);
//! sim.run();
//! let run = Run::of(&sim); // the finished run, as a value
//! let s = summary::summarize(&run, 0.0);
//! assert_eq!(s.peers, 5000);
//! assert_eq!(s.digest.len(), 16);
//! ```
//!
//! Layers: `scenario` (the link, validated once) -> `config` -> `sim` (the
//! engine and its domain modules) -> `evidence::run::Run` (a finished run as
//! a value) -> `evidence` (the run against the published record, its shape,
//! seeds, ablation, phase cells) and `summary`.

pub mod config;
pub mod evidence;
pub mod fenwick;
pub mod hostcache;
pub mod login;
pub mod memory;
pub mod metrics;
pub mod peer;
pub mod policy;
pub mod queue;
pub mod region;
pub mod render;
pub mod rhythm;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod summary;
pub mod supernode;
pub mod time;
pub mod timeline;
pub mod trigger;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use evidence::run::Run;
pub use scenario::{Preset, Scenario, ScenarioError};
pub use sim::Simulation;
