//! Writing the evidence down: VALIDATION.md from its template (`text`),
//! tables (`tables`), and figures (`figures`, drawn with `plot`).

pub mod figures;
pub mod plot;
pub mod tables;
pub mod text;
