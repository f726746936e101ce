//! `cargo xtask fuzz`: the link codec against many generated links, as
//! strangers would send them. A third are valid links (a preset with
//! parameters changed to values of their kind, times with seconds among
//! them), a third are valid links mutated (a byte dropped, inserted or
//! changed, parts repeated or swapped, control characters and escapes put
//! in), a third are junk. Each is parsed under `catch_unwind`; an accepted
//! one must round-trip (its canonical link is accepted, is the same
//! scenario and writes itself again), a refused one must be one line.
//! Prints the counts and exits non-zero on any panic, round-trip failure or
//! message of more than one line. Deterministic: the same count gives the
//! same links.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use patchstorm::rng::{Rng, Stream};
use patchstorm::scenario::{params, Kind, Scenario, MAX_QUERY_BYTES, PARAMS, PRESETS};

fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.below(xs.len() as u32) as usize]
}

/// A value for a parameter of `kind`: mostly in range, sometimes just past it.
fn value(rng: &mut Rng, kind: &Kind) -> String {
    let edge = rng.below(10) == 0;
    match *kind {
        Kind::Int { min, max } => {
            let span = (max - min) as f64;
            let x = if edge { max + 1 } else { min + (rng.unit() * span) as i64 };
            x.to_string()
        }
        Kind::Float { min, max } => {
            let x = if edge { max * 1.5 + 1.0 } else { min + rng.unit() * (max - min) };
            // Short decimals as people write them, and full ones.
            if rng.below(2) == 0 {
                format!("{:.2}", x)
            } else {
                params::fmt_f64(x)
            }
        }
        Kind::Bool => pick(rng, &["true", "false", "yes", "no", "1", "0", "on"]).to_string(),
        Kind::Choice { options } => pick(rng, options).to_string(),
        Kind::Time { min, max } => {
            // Near the presets' dates most of the time, anywhere in range otherwise.
            let t = if rng.below(3) > 0 {
                1_187_136_000 + (rng.unit() * 20.0 * 86_400.0) as i64
            } else {
                min + (rng.unit() * (max - min) as f64) as i64
            };
            let t = if rng.below(2) == 0 { t - t % 60 } else { t };
            patchstorm::time::format_utc(if edge { max + 60 } else { t })
        }
    }
}

fn valid_link(rng: &mut Rng) -> String {
    let preset = pick(rng, PRESETS).key;
    let mut parts = vec![format!("preset={preset}")];
    if rng.below(4) == 0 {
        parts.insert(0, format!("v={}", 1 + rng.below(3)));
    }
    for _ in 0..rng.below(6) {
        let p = pick(rng, PARAMS);
        if parts.iter().any(|q| q.starts_with(&format!("{}=", p.key))) {
            continue;
        }
        parts.push(format!("{}={}", p.key, value(rng, &p.kind)));
    }
    parts.join("&")
}

const NOISE: &[&str] =
    &["&", "=", "%", "%0A", "%0D", "%26", "%3D", "\n", "\r", "\t", "\u{2028}", "é", "%ZZ", "+", "?", ":", "Z"];

fn mutate(rng: &mut Rng, link: &str) -> String {
    let mut s: Vec<char> = link.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let at = if s.is_empty() { 0 } else { rng.below(s.len() as u32 + 1) as usize };
        match rng.below(5) {
            0 if !s.is_empty() => {
                s.remove(at.min(s.len() - 1));
            }
            1 => {
                let noise = pick(rng, NOISE);
                for (k, c) in noise.chars().enumerate() {
                    s.insert(at + k, c);
                }
            }
            2 if !s.is_empty() => {
                let i = at.min(s.len() - 1);
                s[i] = char::from(b'0' + rng.below(10) as u8);
            }
            3 => {
                // A part given again.
                let text: String = s.iter().collect();
                let parts: Vec<&str> = text.split('&').collect();
                let again = pick(rng, &parts).to_string();
                s.extend(format!("&{again}").chars());
            }
            _ => {
                let text: String = s.iter().collect();
                let mut parts: Vec<&str> = text.split('&').collect();
                let (a, b) = (rng.below(parts.len() as u32) as usize, rng.below(parts.len() as u32) as usize);
                parts.swap(a, b);
                s = parts.join("&").chars().collect();
            }
        }
    }
    s.into_iter().collect()
}

fn junk(rng: &mut Rng) -> String {
    let len = rng.below(80) as usize;
    (0..len)
        .map(|_| match rng.below(4) {
            0 => *pick(rng, &['&', '=', '%', '\n', '\r', '\0', '\u{7f}']),
            _ => char::from(32 + rng.below(95) as u8),
        })
        .collect()
}

#[derive(Default)]
struct Counts {
    tried: u64,
    accepted: u64,
    refused: u64,
    panics: u64,
    round_trip_failures: u64,
    multi_line_errors: u64,
}

fn check(link: &str, c: &mut Counts, shown: &mut u32) {
    c.tried += 1;
    let mut report = |what: &str, detail: String| {
        if *shown < 10 {
            eprintln!("{what}: {link:?}: {detail}");
            *shown += 1;
        }
    };
    match catch_unwind(AssertUnwindSafe(|| Scenario::from_query(link))) {
        Err(_) => {
            c.panics += 1;
            report("panic", String::new());
        }
        Ok(Err(e)) => {
            c.refused += 1;
            let text = e.to_string();
            if text.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) || text.is_empty() {
                c.multi_line_errors += 1;
                report("message of more than one line", text);
            }
        }
        Ok(Ok(s)) => {
            c.accepted += 1;
            let canonical = s.to_query();
            let ok = match catch_unwind(AssertUnwindSafe(|| Scenario::from_query(&canonical))) {
                Ok(Ok(again)) => again == s && again.to_query() == canonical,
                _ => false,
            };
            if !ok {
                c.round_trip_failures += 1;
                report("round-trip failure", canonical);
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: u64 = match args.as_slice() {
        [] => 1_000_000,
        [flag, n] if flag == "--count" => match n.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("error: --count {n}: expected a whole number of links");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: fuzz_links [--count N]");
            return ExitCode::from(2);
        }
    };
    // Panics are counted, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng::new(2026, Stream::Engine);
    let (mut valid, mut mutated, mut junky) = (Counts::default(), Counts::default(), Counts::default());
    let mut shown = 0;
    let started = Instant::now();
    for i in 0..count {
        match i % 3 {
            0 => {
                let link = valid_link(&mut rng);
                check(&link, &mut valid, &mut shown);
            }
            1 => {
                let base = valid_link(&mut rng);
                let link = mutate(&mut rng, &base);
                check(&link, &mut mutated, &mut shown);
            }
            _ => {
                let link = junk(&mut rng);
                check(&link, &mut junky, &mut shown);
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>7} {:>22} {:>18}",
        "links", "tried", "accepted", "refused", "panics", "round-trip failures", "multi-line errors"
    );
    let mut all = Counts::default();
    for (name, c) in [("valid", &valid), ("mutated", &mutated), ("junk", &junky)] {
        println!(
            "{name:<12} {:>10} {:>10} {:>10} {:>7} {:>22} {:>18}",
            c.tried, c.accepted, c.refused, c.panics, c.round_trip_failures, c.multi_line_errors
        );
        all.tried += c.tried;
        all.accepted += c.accepted;
        all.refused += c.refused;
        all.panics += c.panics;
        all.round_trip_failures += c.round_trip_failures;
        all.multi_line_errors += c.multi_line_errors;
    }
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>7} {:>22} {:>18}",
        "all", all.tried, all.accepted, all.refused, all.panics, all.round_trip_failures, all.multi_line_errors
    );
    println!("{:.1} s, {:.0} links/s", wall, all.tried as f64 / wall.max(1e-9));
    // Long links: a 2 MB one is refused by its length; one just under the
    // limit, of distinct unknown keys, is read and refused at its first key.
    let huge: String = (0..250_000).map(|i| format!("key{i}=1&")).collect();
    let t = Instant::now();
    let refused = Scenario::from_query(&huge).is_err();
    println!("a {} byte link: refused {refused} in {:.3} ms", huge.len(), t.elapsed().as_secs_f64() * 1e3);
    let mut near = String::new();
    let mut k = 0;
    while near.len() + 16 < MAX_QUERY_BYTES {
        near.push_str(&format!("key{k}=1&"));
        k += 1;
    }
    let t = Instant::now();
    let refused = Scenario::from_query(&near).is_err();
    println!("a {} byte link of {k} keys: refused {refused} in {:.3} ms", near.len(), t.elapsed().as_secs_f64() * 1e3);
    if all.panics + all.round_trip_failures + all.multi_line_errors > 0 {
        eprintln!("error: the link codec failed on some links (above)");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
