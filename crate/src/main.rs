//! The `patchstorm` command-line tool: run the model at full scale, list
//! presets and parameters, and measure its speed.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main(std::env::args().skip(1).collect())
}
