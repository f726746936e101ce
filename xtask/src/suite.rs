//! `cargo xtask test`: every test there is, cheapest first, stopping at the
//! first failure, with a timing summary at the end.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cmd::Cmd;
use crate::{serve, site, tools, Error, Repo, Result};

#[derive(Debug, Default, PartialEq)]
pub struct Options {
    /// Only the native tests and the wasm build.
    pub native_only: bool,
    /// Skip the steps that need a browser.
    pub no_browser: bool,
    /// Run this step alone.
    pub only: Option<StepId>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepId {
    Native,
    Wasm,
    Browser,
    Firefox,
    E2e,
}

const STEPS: [StepId; 5] = [StepId::Native, StepId::Wasm, StepId::Browser, StepId::Firefox, StepId::E2e];

impl StepId {
    pub fn from_name(name: &str) -> Option<StepId> {
        STEPS.into_iter().find(|step| step.name() == name)
    }

    pub fn names() -> String {
        STEPS.map(StepId::name).join(", ")
    }

    fn name(self) -> &'static str {
        match self {
            StepId::Native => "native",
            StepId::Wasm => "wasm",
            StepId::Browser => "browser",
            StepId::Firefox => "firefox",
            StepId::E2e => "e2e",
        }
    }

    fn title(self) -> &'static str {
        match self {
            StepId::Native => "native tests (unit, property, scenario, CLI)",
            StepId::Wasm => "the crate builds for wasm32",
            StepId::Browser => "browser tests of the crate in Chromium (crate/tests/web.rs)",
            StepId::Firefox => "the same browser tests in Firefox, a second engine",
            StepId::E2e => "end-to-end tests of the page (tests/e2e/)",
        }
    }

    fn needs_browser(self) -> bool {
        matches!(self, StepId::Browser | StepId::Firefox | StepId::E2e)
    }

    /// How to run this step by hand, outside xtask.
    fn by_hand(self) -> &'static str {
        match self {
            StepId::Native => "cargo test --workspace --release",
            StepId::Wasm => "cargo build -p patchstorm --lib --target wasm32-unknown-unknown --release",
            StepId::Browser => "CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --chrome crate --release",
            StepId::Firefox => "GECKODRIVER=~/.cargo/bin/geckodriver WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --firefox crate --release",
            StepId::E2e => "cargo xtask serve --port 8080, then in another shell: PATCHSTORM_URL=http://127.0.0.1:8080/ CHROMIUM_PATH=/usr/bin/chromium node --test tests/e2e/",
        }
    }
}

enum Outcome {
    Passed,
    Skipped(String),
    Failed,
    NotRun,
}

struct Record {
    step: StepId,
    outcome: Outcome,
    elapsed: Duration,
}

pub fn run(repo: &Repo, options: &Options) -> Result<()> {
    let selected: Vec<StepId> = match options.only {
        Some(step) => vec![step],
        None => STEPS.to_vec(),
    };
    let mut records = Vec::new();
    let mut failure = None;
    for (index, &step) in selected.iter().enumerate() {
        let excluded = if options.only.is_some() {
            None
        } else if options.native_only && !matches!(step, StepId::Native | StepId::Wasm) {
            Some("--native")
        } else if options.no_browser && step.needs_browser() {
            Some("--no-browser")
        } else {
            None
        };
        if failure.is_some() {
            records.push(Record { step, outcome: Outcome::NotRun, elapsed: Duration::ZERO });
            continue;
        }
        if let Some(flag) = excluded {
            records.push(Record {
                step,
                outcome: Outcome::Skipped(format!("left out by {flag}")),
                elapsed: Duration::ZERO,
            });
            continue;
        }
        println!("\n==> [{}/{}] {}: {}", index + 1, selected.len(), step.name(), step.title());
        let start = Instant::now();
        let outcome = match run_step(repo, step) {
            Ok(None) => Outcome::Passed,
            Ok(Some(reason)) => {
                println!("note: skipping {}: {reason}", step.name());
                Outcome::Skipped(reason)
            }
            Err(err) => {
                failure = Some((step, err));
                Outcome::Failed
            }
        };
        records.push(Record { step, outcome, elapsed: start.elapsed() });
    }
    println!("\n{}", summary(&records));
    match failure {
        None => Ok(()),
        Some((step, err)) => Err(Error::new(format!(
            "test step `{}` ({}) failed:\n  {err}\n\nrerun this step alone with:\n  cargo xtask test --only {}\nor by hand:\n  {}",
            step.name(),
            step.title(),
            step.name(),
            step.by_hand()
        ))),
    }
}

/// Runs one step: `Ok(None)` when it passed, `Ok(Some(why))` when it had
/// nothing to test yet.
fn run_step(repo: &Repo, step: StepId) -> Result<Option<String>> {
    match step {
        StepId::Native => {
            Cmd::cargo().args(["test", "--workspace", "--release"]).run()?;
        }
        StepId::Wasm => {
            tools::ensure_wasm_target()?;
            Cmd::cargo()
                .args(["build", "-p", "patchstorm", "--lib", "--target", tools::WASM_TARGET, "--release"])
                .run()?;
        }
        StepId::Browser => {
            if !repo.root.join("crate/tests/web.rs").is_file() {
                return Ok(Some("crate/tests/web.rs does not exist yet".into()));
            }
            tools::ensure_wasm_target()?;
            tools::ensure_wasm_pack()?;
            tools::ensure_wasm_bindgen(repo)?;
            tools::ensure_browser()?;
            Cmd::new("wasm-pack")
                .args(["test", "--headless", "--chrome", "crate", "--release"])
                .env("CHROMEDRIVER", tools::CHROMEDRIVER)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
                .run()?;
        }
        StepId::Firefox => {
            tools::ensure_wasm_target()?;
            tools::ensure_wasm_pack()?;
            tools::ensure_wasm_bindgen(repo)?;
            tools::ensure_firefox()?;
            let geckodriver = tools::ensure_geckodriver()?;
            Cmd::new("wasm-pack")
                .args(["test", "--headless", "--firefox", "crate", "--release"])
                .env("GECKODRIVER", geckodriver)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
                .run()?;
        }
        StepId::E2e => {
            let e2e = repo.root.join("tests/e2e");
            if e2e_test_files(&e2e).is_empty() {
                return Ok(Some("there are no tests/e2e/*.test.mjs files yet".into()));
            }
            let site_dir = repo.target.join("xtask").join("e2e-site");
            site::build(repo, &site_dir)?;
            tools::ensure_browser()?;
            tools::ensure_npm_packages(repo, &e2e)?;
            let server = serve::spawn(serve::bind(0)?, &site_dir)?;
            println!("serving {} at {}", repo.rel(&site_dir), server.url());
            let result = Cmd::new("node")
                .args(["--test", "tests/e2e/"])
                .env("PATCHSTORM_URL", server.url())
                .env("CHROMIUM_PATH", tools::CHROMIUM)
                .run();
            server.stop();
            let artifacts = e2e.join("artifacts");
            if artifacts.is_dir() {
                println!("screenshots and other artifacts: {}/", repo.rel(&artifacts));
            }
            result?;
        }
    }
    Ok(None)
}

/// The end-to-end test files (`*.test.mjs`) under `dir`, outside node_modules.
fn e2e_test_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "node_modules" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(".test.mjs") {
                found.push(path);
            }
        }
    }
    found
}

fn summary(records: &[Record]) -> String {
    let mut out = String::from("test summary:\n");
    let mut total = Duration::ZERO;
    for record in records {
        total += record.elapsed;
        let (word, detail) = match &record.outcome {
            Outcome::Passed => ("passed", String::new()),
            Outcome::Failed => ("FAILED", String::new()),
            Outcome::Skipped(reason) => ("skipped", format!("  ({reason})")),
            Outcome::NotRun => ("not run", "  (an earlier step failed)".to_string()),
        };
        let time = match record.outcome {
            Outcome::Passed | Outcome::Failed => duration(record.elapsed),
            _ => String::new(),
        };
        let _ = writeln!(out, "  {:<8} {:<8} {:>8}{detail}", record.step.name(), word, time);
    }
    let _ = write!(out, "  {:<8} {:<8} {:>8}", "total", "", duration(total));
    out
}

fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_every_step() {
        let records = [
            Record { step: StepId::Native, outcome: Outcome::Passed, elapsed: Duration::from_millis(83_400) },
            Record { step: StepId::Wasm, outcome: Outcome::Failed, elapsed: Duration::from_millis(4_240) },
            Record { step: StepId::Browser, outcome: Outcome::NotRun, elapsed: Duration::ZERO },
            Record { step: StepId::E2e, outcome: Outcome::Skipped("--native".into()), elapsed: Duration::ZERO },
        ];
        let expected = "\
test summary:
  native   passed     1m 23s
  wasm     FAILED       4.2s
  browser  not run            (an earlier step failed)
  e2e      skipped            (--native)
  total               1m 27s";
        assert_eq!(summary(&records), expected);
    }

    #[test]
    fn step_names_round_trip() {
        for step in STEPS {
            assert_eq!(StepId::from_name(step.name()), Some(step));
        }
        assert_eq!(StepId::names(), "native, wasm, browser, firefox, e2e");
    }
}
