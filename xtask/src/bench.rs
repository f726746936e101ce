//! `cargo xtask bench`: the same scenario natively (the release CLI's
//! `bench-one`) and in the page's own WebAssembly module in headless
//! Chromium (`tests/e2e/bench.mjs`), in turn, so both see the machine's
//! changing speed; prints events per second for each and their ratio, and
//! checks that both runs give the same digest.

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
    })
}

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
    println!("\n{query}: native (release CLI) and browser (headless Chromium, the page's module), in turn\n");
    println!(
        "{:>4} {:>10} {:>14} {:>10} {:>14} {:>12}",
        "run", "native s", "native ev/s", "page s", "page ev/s", "page/native"
    );
    let mut ratios = Vec::new();
    let mut result = Ok(());
    for k in 1..=o.runs {
        let native = Cmd::new(&exe)
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
            .and_then(|out| figures("native", &out));
        let browser = Cmd::new("node")
            .args([e2e.join("bench.mjs").display().to_string(), query.clone()])
            .env("PATCHSTORM_URL", server.url())
            .env("CHROMIUM_PATH", tools::CHROMIUM)
            .output()
            .and_then(|out| figures("browser", &out));
        let (n, b) = match (native, browser) {
            (Ok(n), Ok(b)) => (n, b),
            (Err(e), _) | (_, Err(e)) => {
                result = Err(e);
                break;
            }
        };
        if n.digest != b.digest || n.events != b.events {
            result = Err(Error::new(format!(
                "the two runs differ: native {} events, digest {}; browser {} events, digest {}",
                n.events, n.digest, b.events, b.digest
            )));
            break;
        }
        let (ne, be) = (n.events / n.wall, b.events / b.wall);
        ratios.push(be / ne);
        println!("{k:>4} {:>10.2} {:>14.0} {:>10.2} {:>14.0} {:>12.2}", n.wall, ne, b.wall, be, be / ne);
        if k == o.runs {
            println!("\nevents {:.0}, digest {} (the same natively and in the browser)", n.events, n.digest);
        }
    }
    server.stop();
    result?;
    ratios.sort_by(f64::total_cmp);
    if let (Some(lo), Some(hi)) = (ratios.first(), ratios.last()) {
        println!(
            "page / native: {lo:.2} to {hi:.2} over {} runs (median {:.2})",
            ratios.len(),
            ratios[ratios.len() / 2]
        );
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
        assert_eq!((f.events, f.wall, f.digest.as_str()), (12345.0, 0.5, "abcd0123abcd0123"));
        assert!(figures("browser", "no json here").is_err());
    }
}
