//! The evidence: what a finished run means against the published record.
//! Pure functions of [`run::Run`] values, used by the command line (which
//! runs them on all cores) and by the page (in wasm) alike.
//!
//! - [`run`]: a run's outcome as a value;
//! - [`record`]: the published record, placed on a run's clock;
//! - [`compare`]: a run against the record, also moved in time;
//! - [`shape`]: collapse, heal and relapse;
//! - [`seeds`]: several seeds of one preset, aggregated;
//! - [`ablation`]: one mechanism switched off at a time;
//! - [`phase`]: the cells of a phase map and how each is classified;
//! - [`story`]: the moments of a run's cascade, found in its series;
//! - [`study`]: the studies' constants (sizes, seeds, calibration alternatives);
//! - [`words`]: phrases the page and the command line share.

pub mod ablation;
pub mod compare;
pub mod phase;
pub mod record;
pub mod run;
pub mod seeds;
pub mod shape;
pub mod story;
pub mod study;
pub mod words;
