//! Project tasks for patchstorm, following the cargo-xtask convention.
//!
//! ```text
//! cargo xtask serve [--port N]    build the page and serve it on http://127.0.0.1:N/
//! cargo xtask dist [--out DIR]    build a self-contained, deployable copy of the page
//! cargo xtask test [--native | --no-browser | --only STEP]
//! cargo xtask fuzz [--count N]    the link codec against N generated links
//! cargo xtask bench [--peers N] [--hours H] [--preset P] [--runs K]
//! ```
//!
//! Every task installs what it needs first (the wasm target, wasm-pack, the
//! wasm-bindgen CLI, wasm-opt, Chromium, npm packages) and skips each tool
//! that is already there, so the same command works on a clean CI machine
//! and on a developer's laptop. Only the standard library is used, so this
//! program compiles in seconds before anything else is installed.

mod bench;
mod cmd;
mod serve;
mod site;
mod suite;
mod tools;

use std::fmt;

use cmd::Cmd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  serve [--port N]     build the page and serve it on http://127.0.0.1:N/ (default 8080)
  dist [--out DIR]     build a self-contained copy of the page into DIR (default dist/)
  test [options]       run every test there is, in order, stopping at the first failure:
                         native  cargo test --workspace --release
                         wasm    the crate builds for wasm32-unknown-unknown
                         browser wasm-pack test --headless --chrome crate (crate/tests/web.rs)
                         firefox the same in Firefox ESR, with geckodriver
                         e2e     the built page in headless Chromium (tests/e2e/*.test.mjs)
       --native          only the native and wasm steps
       --no-browser      skip the steps that need a browser
       --only STEP       run one step alone (native, wasm, browser, firefox or e2e)
  bench [--peers N] [--hours H] [--preset NAME] [--runs K]
                       the same scenario natively (release CLI), in the page's module alone and
                       played by the page in its worker, in headless Chromium, K times in turn
                       (defaults: 1000000 peers, 48 h, skype-2007, 3 runs); prints events/s for
                       each and the ratios to native, and checks the digests agree
  fuzz [--count N]     the link codec against N generated links (default 1000000): valid ones,
                       mutated ones and junk; prints how many were tried, accepted, refused, and
                       how many panicked or failed to round-trip (both must be 0)

Missing tools are installed on first use: the wasm32 target (rustup), wasm-pack and
wasm-bindgen-cli and geckodriver (cargo install), wasm-opt, chromium, chromedriver and
firefox-esr (apt-get),
npm packages (npm ci where a package-lock.json exists).";

/// An expected failure: printed as one `error:` message, never as a panic.
#[derive(Debug)]
pub struct Error(String);

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// An I/O error, saying what was being done and to which path.
    pub fn io(doing: &str, path: &Path, err: std::io::Error) -> Error {
        Error(format!("{doing} {}: {err}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where things are. All commands run with the repository root as the
/// current directory, so relative paths in printed commands can be pasted.
pub struct Repo {
    pub root: PathBuf,
    /// Cargo's target directory; the site builds for `serve` and `test` go under it.
    pub target: PathBuf,
}

impl Repo {
    fn locate() -> Result<Repo> {
        // `cargo run` sets CARGO_MANIFEST_DIR to xtask/; its parent is the workspace root.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir.parent().ok_or_else(|| Error::new("xtask/ has no parent directory"))?.to_path_buf();
        if !root.join("Cargo.toml").is_file() {
            return Err(Error::new(format!(
                "{} does not look like the repository root (no Cargo.toml)",
                root.display()
            )));
        }
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Ok(Repo { root, target })
    }

    /// `path` relative to the root when it is inside it, for messages.
    pub fn rel(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Task {
    Serve { port: u16 },
    Dist { out: Option<PathBuf> },
    Test(suite::Options),
    Fuzz { count: u64 },
    Bench(bench::Options),
    Help,
}

fn parse_args(args: &[String]) -> Result<Task> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Error::new("no command given"));
    };
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Task::Help);
    }
    let mut flags = Flags { rest, pos: 0, pending: None, last: String::new() };
    let task = match command.as_str() {
        "-h" | "--help" | "help" => return Ok(Task::Help),
        "serve" => {
            let mut port = 8080;
            while let Some(flag) = flags.next_flag()? {
                match flag.as_str() {
                    "--port" => {
                        let value = flags.value("--port")?;
                        port = value
                            .parse()
                            .map_err(|_| Error::new(format!("--port: `{value}` is not a port number (0 to 65535)")))?;
                    }
                    other => return Err(unknown_flag("serve", other)),
                }
            }
            Task::Serve { port }
        }
        "dist" => {
            let mut out = None;
            while let Some(flag) = flags.next_flag()? {
                match flag.as_str() {
                    "--out" => out = Some(PathBuf::from(flags.value("--out")?)),
                    other => return Err(unknown_flag("dist", other)),
                }
            }
            Task::Dist { out }
        }
        "test" => {
            let mut options = suite::Options::default();
            while let Some(flag) = flags.next_flag()? {
                match flag.as_str() {
                    "--native" => options.native_only = true,
                    "--no-browser" => options.no_browser = true,
                    "--only" => {
                        let value = flags.value("--only")?;
                        options.only = Some(suite::StepId::from_name(&value).ok_or_else(|| {
                            Error::new(format!(
                                "--only: unknown step `{value}` (expected one of: {})",
                                suite::StepId::names()
                            ))
                        })?);
                    }
                    other => return Err(unknown_flag("test", other)),
                }
            }
            Task::Test(options)
        }
        "fuzz" => {
            let mut count = 1_000_000;
            while let Some(flag) = flags.next_flag()? {
                match flag.as_str() {
                    "--count" => {
                        let value = flags.value("--count")?;
                        count = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                            Error::new(format!("--count: `{value}` is not a whole number of links above 0"))
                        })?;
                    }
                    other => return Err(unknown_flag("fuzz", other)),
                }
            }
            Task::Fuzz { count }
        }
        "bench" => {
            let mut o = bench::Options::default();
            while let Some(flag) = flags.next_flag()? {
                let number = |flag: &str, value: String| {
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| Error::new(format!("{flag}: `{value}` is not a whole number above 0")))
                };
                match flag.as_str() {
                    "--peers" => o.peers = number("--peers", flags.value("--peers")?)?,
                    "--hours" => o.hours = number("--hours", flags.value("--hours")?)?,
                    "--runs" => o.runs = number("--runs", flags.value("--runs")?)?.min(100) as u32,
                    "--preset" => o.preset = flags.value("--preset")?,
                    other => return Err(unknown_flag("bench", other)),
                }
            }
            Task::Bench(o)
        }
        other => return Err(Error::new(format!("unknown command `{other}`"))),
    };
    Ok(task)
}

fn unknown_flag(command: &str, flag: &str) -> Error {
    Error::new(format!("`{command}` does not take the argument `{flag}`"))
}

/// Walks `--flag value` and `--flag=value` arguments.
struct Flags<'a> {
    rest: &'a [String],
    pos: usize,
    /// The `value` of a `--flag=value` argument, until `value()` takes it.
    pending: Option<String>,
    last: String,
}

impl Flags<'_> {
    fn next_flag(&mut self) -> Result<Option<String>> {
        if let Some(value) = self.pending.take() {
            return Err(Error::new(format!("{} does not take a value (got `{value}`)", self.last)));
        }
        let Some(arg) = self.rest.get(self.pos) else {
            return Ok(None);
        };
        self.pos += 1;
        self.last = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.pending = Some(value.to_string());
                flag.to_string()
            }
            _ => arg.clone(),
        };
        Ok(Some(self.last.clone()))
    }

    fn value(&mut self, flag: &str) -> Result<String> {
        if let Some(value) = self.pending.take() {
            return Ok(value);
        }
        let value = self.rest.get(self.pos).ok_or_else(|| Error::new(format!("{flag} needs a value")))?;
        self.pos += 1;
        Ok(value.clone())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = match parse_args(&args) {
        Ok(task) => task,
        Err(err) => {
            eprintln!("error: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<()> {
    if task == Task::Help {
        println!("{USAGE}");
        return Ok(());
    }
    let repo = Repo::locate()?;
    // Resolve user-given paths against the directory the user typed them in,
    // then work from the root.
    let cwd = std::env::current_dir().map_err(|e| Error::new(format!("current directory: {e}")))?;
    std::env::set_current_dir(&repo.root).map_err(|e| Error::io("changing directory to", &repo.root, e))?;
    tools::put_cargo_bin_on_path();

    match task {
        Task::Serve { port } => {
            // Bind first: a busy port should fail now, not after a long build.
            let listener = serve::bind(port)?;
            let site_dir = repo.target.join("xtask").join("site");
            site::build(&repo, &site_dir)?;
            let addr = listener.local_addr().map_err(|e| Error::new(format!("reading the server address: {e}")))?;
            println!();
            println!("patchstorm playground: http://{addr}/");
            println!("(serving {}; press Ctrl-C to stop)", repo.rel(&site_dir));
            serve::run(listener, &site_dir, true)
        }
        Task::Dist { out } => {
            let out = match out {
                Some(out) => cwd.join(out),
                None => repo.root.join("dist"),
            };
            site::build(&repo, &out)
        }
        Task::Test(options) => suite::run(&repo, &options),
        Task::Fuzz { count } => Cmd::cargo()
            .args(["run", "--release", "-p", "patchstorm", "--example", "fuzz_links", "--", "--count"])
            .arg(count.to_string())
            .run(),
        Task::Bench(options) => bench::run(&repo, &options),
        Task::Help => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str], expected: Result<Task, &str>) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match (parse_args(&args), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "args {args:?}"),
            (Err(got), Err(want)) => {
                assert!(got.to_string().contains(want), "args {args:?}: error `{got}` should mention `{want}`")
            }
            (got, want) => panic!("args {args:?}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn commands_and_flags() {
        check(&["serve"], Ok(Task::Serve { port: 8080 }));
        check(&["serve", "--port", "9000"], Ok(Task::Serve { port: 9000 }));
        check(&["serve", "--port=9001"], Ok(Task::Serve { port: 9001 }));
        check(&["dist"], Ok(Task::Dist { out: None }));
        check(&["dist", "--out", "site"], Ok(Task::Dist { out: Some(PathBuf::from("site")) }));
        check(&["test"], Ok(Task::Test(suite::Options::default())));
        check(
            &["test", "--native", "--no-browser"],
            Ok(Task::Test(suite::Options { native_only: true, no_browser: true, only: None })),
        );
        check(
            &["test", "--only", "e2e"],
            Ok(Task::Test(suite::Options { only: Some(suite::StepId::E2e), ..Default::default() })),
        );
        check(&["dist", "--help"], Ok(Task::Help));
        check(&["fuzz"], Ok(Task::Fuzz { count: 1_000_000 }));
        check(&["fuzz", "--count", "5000"], Ok(Task::Fuzz { count: 5_000 }));
        check(&["bench"], Ok(Task::Bench(bench::Options::default())));
        check(
            &["bench", "--peers", "100000", "--runs", "2"],
            Ok(Task::Bench(bench::Options { peers: 100_000, runs: 2, ..Default::default() })),
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        check(&[], Err("no command"));
        check(&["deploy"], Err("unknown command `deploy`"));
        check(&["serve", "--port", "http"], Err("`http` is not a port number"));
        check(&["serve", "--port", "70000"], Err("`70000` is not a port number"));
        check(&["serve", "--port"], Err("--port needs a value"));
        check(&["dist", "--native"], Err("`dist` does not take the argument `--native`"));
        check(&["test", "--only", "lint"], Err("unknown step `lint`"));
        check(&["test", "--native=yes"], Err("--native does not take a value"));
        check(&["fuzz", "--count", "0"], Err("`0` is not a whole number of links above 0"));
    }
}
