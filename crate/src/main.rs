//! The `patchstorm` command-line tool: run the model at full scale, list
//! presets and parameters, measure its speed, and produce the evidence
//! (validation, ablation, phase maps, VALIDATION.md).

// The tool is native only (it uses threads, files and processes); the
// crate's browser tests still compile every target for wasm32.
#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// Huge pages for the large tables: see `cli/hugepages.rs`.
#[cfg(all(target_os = "linux", not(target_arch = "wasm32")))]
#[global_allocator]
static ALLOC: cli::hugepages::HugePages = cli::hugepages::HugePages;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main(std::env::args().skip(1).collect())
}

#[cfg(target_arch = "wasm32")]
fn main() {}
