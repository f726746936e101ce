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
    // An argument that is not UTF-8 is refused by name, not with a panic.
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!("error: the argument {arg:?} is not UTF-8 text: give flags and values as UTF-8");
                return std::process::ExitCode::from(2);
            }
        }
    }
    cli::main(args)
}

#[cfg(target_arch = "wasm32")]
fn main() {}
