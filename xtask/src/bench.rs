//! `cargo xtask bench`: the same scenario natively (the release CLI's
//! `bench-one`), in the page's own WebAssembly module alone, and played by
//! the page itself in its worker while it draws (`tests/e2e/bench.mjs`, in
//! headless Chromium), in turn, so all three see the machine's changing
//! speed; prints events per second for each and each browser side's ratio
//! to native, and checks that every run gives the same events and digest.

use crate::cmd::Cmd;
use crate::{serve, site, tools, Error, Repo, Result};

#[derive(Debug, PartialEq)]
pub struct Options {
    pub peers: u64,
    pub hours: u64,
    pub preset: String,
    pub runs: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { peers: 1_000_000, hours: 48, preset: "skype-2007".into(), runs: 3 }
    }
}

/// A run's figures, read from the one JSON line both sides print.
struct Figures {
    events: f64,
    wall: f64,
    digest: String,
    /// The module's memory (browser sides; 0 when not printed).
    memory: f64,
}

/// The number or string after `"key":` in a flat JSON object.
fn field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    if let Some(text) = rest.strip_prefix('"') {
        return text.split('"').next();
    }
    rest.split([',', '}']).next().map(str::trim)
}

fn figures(side: &str, out: &str) -> Result<Figures> {
    let line = out.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or("");
    let number = |key: &str| {
        field(line, key)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| Error::new(format!("the {side} run printed no {key}: {out}")))
    };
    Ok(Figures {
        events: number("events")?,
        wall: number("wall_seconds")?,
        digest: field(line, "digest").unwrap_or("").to_string(),
        memory: field(line, "memory_bytes").and_then(|v| v.parse().ok()).unwrap_or(0.0),
    })
}

/// The browser sides `tests/e2e/bench.mjs` measures, as it names them.
const BROWSER_MODES: [&str; 2] = ["module", "page"];

pub fn run(repo: &Repo, o: &Options) -> Result<()> {
    let query = format!("preset={}&peers={}&hours={}", o.preset, o.peers, o.hours);
    println!("building the release CLI and the page");
    Cmd::cargo().args(["build", "--release", "-p", "patchstorm"]).run()?;
    let site_dir = repo.target.join("xtask").join("bench-site");
    site::build(repo, &site_dir)?;
    tools::ensure_browser()?;
    let e2e = repo.root.join("tests/e2e");
    tools::ensure_npm_packages(repo, &e2e)?;
    let server = serve::spawn(serve::bind(0)?, &site_dir)?;
    let exe = repo.target.join("release").join("patchstorm");
    println!(
        "\n{query}, in turn: native (release CLI), module (the page's WebAssembly module alone, \
         headless Chromium) and page (the playground playing it \"As fast as it goes\" in its worker, drawing)\n"
    );
    println!(
        "{:>4} {:>9} {:>12} {:>9} {:>12} {:>7} {:>9} {:>12} {:>7} {:>9}",
        "run",
        "native s",
        "native ev/s",
        "module s",
        "module ev/s",
        "/native",
        "page s",
        "page ev/s",
        "/native",
        "page MB"
    );
    let mut ratios: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut result = Ok(());
    'runs: for k in 1..=o.runs {
        let native = match Cmd::new(&exe)
            .args([
                "bench-one",
                "--peers",
                &o.peers.to_string(),
                "--hours",
                &o.hours.to_string(),
                "--preset",
                &o.preset,
            ])
            .output()
            .and_then(|out| figures("native", &out))
        {
            Ok(n) => n,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let mut browser = Vec::new();
        for mode in BROWSER_MODES {
            let side = match Cmd::new("node")
                .args([e2e.join("bench.mjs").display().to_string(), query.clone(), mode.to_string()])
                .env("PATCHSTORM_URL", server.url())
                .env("CHROMIUM_PATH", tools::CHROMIUM)
                .output()
                .and_then(|out| figures(mode, &out))
            {
                Ok(b) => b,
                Err(e) => {
                    result = Err(e);
                    break 'runs;
                }
            };
            if native.digest != side.digest || native.events != side.events {
                result = Err(Error::new(format!(
                    "the runs differ: native {} events, digest {}; {mode} {} events, digest {}",
                    native.events, native.digest, side.events, side.digest
                )));
                break 'runs;
            }
            browser.push(side);
        }
        let ne = native.events / native.wall;
        let (m, p) = (&browser[0], &browser[1]);
        let (me, pe) = (m.events / m.wall, p.events / p.wall);
        ratios[0].push(me / ne);
        ratios[1].push(pe / ne);
        println!(
            "{k:>4} {:>9.2} {:>12.0} {:>9.2} {:>12.0} {:>7.2} {:>9.2} {:>12.0} {:>7.2} {:>9.0}",
            native.wall,
            ne,
            m.wall,
            me,
            me / ne,
            p.wall,
            pe,
            pe / ne,
            p.memory / 1e6
        );
        if k == o.runs {
            println!("\nevents {:.0}, digest {} (the same natively and in the browser)", native.events, native.digest);
        }
    }
    server.stop();
    result?;
    for (mode, r) in BROWSER_MODES.iter().zip(ratios.iter_mut()) {
        r.sort_by(f64::total_cmp);
        if let (Some(lo), Some(hi)) = (r.first(), r.last()) {
            println!("{mode} / native: {lo:.2} to {hi:.2} over {} runs (median {:.2})", r.len(), r[r.len() / 2]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_figures_both_sides_print() {
        let line = r#"{"peers":1000,"wall_seconds":0.5,"events":12345,"events_per_second":24690.0,"digest":"abcd0123abcd0123"}"#;
        let f = figures("native", line).unwrap();
        assert_eq!((f.events, f.wall, f.digest.as_str(), f.memory), (12345.0, 0.5, "abcd0123abcd0123", 0.0));
        let page = r#"{"events":12345,"wall_seconds":0.5,"build_seconds":0.1,"digest":"abcd0123abcd0123","memory_bytes":131072000}"#;
        assert_eq!(figures("page", page).unwrap().memory, 131_072_000.0);
        assert!(figures("browser", "no json here").is_err());
    }
}
