//! Black-box tests of the `patchstorm` command-line tool, as a user runs it.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn patchstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchstorm")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SMALL: &str = "preset=skype-2007&peers=2000&hours=20";

#[test]
fn json_summary_has_exactly_the_documented_fields() {
    let o = patchstorm(&["run", "--scenario", SMALL, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "scenario",
        "digest",
        "peers",
        "sim_hours",
        "events",
        "online_normal",
        "online_min",
        "lowest_of_normal_day",
        "recovered_after_hours",
        "peak_login_rate",
        "supernodes_normal",
        "supernodes_min",
        "wall_seconds",
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(v["scenario"], "v=4&preset=skype-2007&peers=2000&hours=20");
    assert_eq!(v["digest"].as_str().unwrap().len(), 16);
    assert!(v["digest"].as_str().unwrap().chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(v["peers"], 2000);
    assert_eq!(v["sim_hours"], 20.0);
    assert!(v["events"].as_u64().unwrap() > 10_000);
    assert!(stderr(&o).is_empty(), "no progress bar when stderr is not a terminal");
}

#[test]
fn the_same_run_twice_prints_the_same_digest() {
    let digest = |args: &[&str]| {
        let v: serde_json::Value = serde_json::from_str(&stdout(&patchstorm(args))).unwrap();
        v["digest"].as_str().unwrap().to_string()
    };
    let a = digest(&["run", "--scenario", SMALL]);
    let b = digest(&["run", "--preset", "skype-2007", "--set", "peers=2000", "--hours", "20"]);
    assert_eq!(a, b, "the same scenario, given two ways");
    assert_ne!(a, digest(&["run", "--scenario", SMALL, "--set", "seed=2"]));
}

/// Links of format 1 were made before the 2007 world was recalibrated (link
/// format 2). The digests below are the ones the last build of format 1
/// (commit 6c5e4f0) printed for these links; a `v=1` link must still replay
/// that run. If a change to the simulation itself moves them, old links no
/// longer replay what they showed, and the change needs a new link format.
#[test]
fn a_format_1_link_replays_the_run_it_was_made_with() {
    for (query, digest) in [
        ("v=1&preset=skype-2007&peers=3000&hours=40", "21442c0c2cfa5938"),
        ("v=1&preset=skype-2007&policy=resilient&peers=3000&hours=40", "8bbbef79897d8ced"),
        ("v=1&preset=resilient-2007&policy=legacy-2007&peers=3000&hours=40", "21442c0c2cfa5938"),
        ("v=1&preset=calm-day&peers=3000&hours=20", "c134ff710fc47c10"),
        ("v=1&preset=skype-2010&peers=3000&hours=60", "771612b8a6869b79"),
        ("v=1&preset=skype-2010&policy=legacy-2007&peers=3000&hours=60", "90789f3d2835b60c"),
    ] {
        let o = patchstorm(&["run", "--scenario", query]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["digest"], digest, "{query}");
        assert!(
            v["scenario"].as_str().unwrap().starts_with("v=2&"),
            "{query} is written in format 2, whose engine it replays"
        );
    }
    // A policy given with --set gets its knobs of the link's format, as one in the link does.
    for policy in ["legacy-2007", "self-protect-2010"] {
        let o = patchstorm(&[
            "run",
            "--scenario",
            "v=1&preset=skype-2007&peers=3000&hours=40",
            "--set",
            &format!("policy={policy}"),
        ]);
        let linked =
            patchstorm(&["run", "--scenario", &format!("v=1&preset=skype-2007&peers=3000&hours=40&policy={policy}")]);
        let digest = |o: &Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["digest"].clone();
        assert_eq!(digest(&o), digest(&linked), "{policy}");
    }
    refused(&["run", "--set", "v=1"], &["--set v=1", "--scenario"]);
    // The same link in this build's format is the recalibrated run, with
    // this build's login count: a link without v is read as one of format 4,
    // which runs as format 3 does, and otherwise than the same link of format 2 (16ec870e7e01487f in
    // the last build of format 2, a78616f).
    let digest_of = |query: &str| {
        let o = patchstorm(&["run", "--scenario", query]);
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["digest"].as_str().unwrap().to_string()
    };
    let now = digest_of("preset=skype-2007&peers=3000&hours=40");
    assert_ne!(now, "21442c0c2cfa5938");
    assert_eq!(now, digest_of("v=3&preset=skype-2007&peers=3000&hours=40"));
    assert_eq!(now, digest_of("v=4&preset=skype-2007&peers=3000&hours=40"));
    assert_eq!(digest_of("v=2&preset=skype-2007&peers=3000&hours=40"), "16ec870e7e01487f");
    assert_ne!(now, "16ec870e7e01487f");
}

/// The tool's allocator asks Linux for huge pages on allocations of 8 MiB or
/// more (`cli/hugepages.rs`). 600 k peers make several such tables (the
/// peer records alone are 9.6 MB), so this checks that the tool, with that
/// allocator, computes what the library computes here with the system one.
/// (It checks the results, not that the kernel gave huge pages: BENCHMARKS.md
/// has how many it gave.)
#[test]
fn the_tool_with_its_own_allocator_computes_what_the_library_computes() {
    let query = "preset=skype-2007&peers=600000&hours=17";
    let o = patchstorm(&["run", "--scenario", query]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tool: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let scenario = patchstorm::scenario::Scenario::from_query(query).unwrap();
    let mut sim = patchstorm::sim::Simulation::new(&scenario);
    sim.run();
    let lib = patchstorm::summary::summarize(&patchstorm::Run::of(&sim), 0.0);
    assert_eq!((tool["digest"].as_str().unwrap(), tool["events"].as_u64().unwrap()), (lib.digest.as_str(), lib.events));
}

#[test]
fn csv_has_a_header_starting_with_t_hours() {
    let o = patchstorm(&["run", "--scenario", "preset=calm-day&peers=1000&hours=2", "--format", "csv"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "t_hours");
    assert!(header.contains(&"online") && header.contains(&"login_requests_ps"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 121, "one sample a minute for 2 h, plus the start");
    assert!(rows.iter().all(|r| r.split(',').count() == header.len()));
}

/// A one-hour calm day's time series written with `--out PATH`.
fn csv_out(path: &std::path::Path) -> Output {
    patchstorm(&[
        "run",
        "--scenario",
        "preset=calm-day&peers=1000&hours=1",
        "--format",
        "csv",
        "--out",
        path.to_str().expect("a UTF-8 temporary path"),
    ])
}

#[test]
fn out_writes_the_file_and_bad_input_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("patchstorm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("run.csv");
    let o = csv_out(&good);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&good).unwrap().starts_with("t_hours,"));
    assert!(stdout(&o).is_empty());

    let bad = dir.join("bad.csv");
    let o = patchstorm(&["run", "--scenario", "peers=12", "--out", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!bad.exists(), "no partial output file");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Bad input exits with 2 and one line naming the key, the value and what
/// is allowed.
fn refused(args: &[&str], must_contain: &[&str]) {
    let o = patchstorm(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    let first = err.lines().next().unwrap();
    assert!(first.starts_with("error: "), "{first}");
    for needle in must_contain {
        assert!(first.contains(needle), "{args:?}: {first:?} lacks {needle:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn bad_input_is_refused_with_key_value_and_range() {
    refused(&["run", "--set", "peers=5"], &["peers=5", "1000", "25000000"]);
    refused(&["run", "--set", "wobble=3"], &["wobble"]);
    refused(&["run", "--scenario", "policy=magic"], &["policy=magic", "legacy-2007", "resilient"]);
    refused(&["run", "--scenario", "peers"], &["peers", "key=value"]);
    refused(&["run", "--set", "restart_rate=abc"], &["restart_rate=abc", "0.01", "100"]);
    refused(&["run", "--set", "restart_rate=90"], &["restart_rate=90", "cannot go faster"]);
    refused(&["run", "--hours", "1000"], &["hours=1000", "336"]);
    refused(&["run", "--format", "xml"], &["xml", "json or csv"]);
    refused(&["run", "--preset", "skype-1999"], &["preset=skype-1999", "skype-2007"]);
    refused(&["run", "--scenario", "v=7"], &["v=7"]);
    refused(&["run", "--set", "seed=1", "--set", "nonsense"], &["nonsense", "KEY=VALUE"]);
    refused(&["frobnicate"], &["frobnicate"]);
}

#[test]
fn presets_and_params_list_the_table() {
    let o = patchstorm(&["presets"]);
    assert!(o.status.success());
    for key in ["skype-2007", "skype-2010", "calm-day", "resilient-2007"] {
        assert!(stdout(&o).contains(key));
    }
    let o = patchstorm(&["params"]);
    let text = stdout(&o);
    for key in ["peers", "restart_rate", "policy", "sn_capacity", "login_capacity", "mega_count"] {
        assert!(text.lines().any(|l| l.starts_with(key)), "{key} missing");
    }
    assert!(text.contains("%/h") && text.contains("a whole number from 1000 to 25000000"));
}

#[test]
fn a_value_may_be_joined_to_its_flag_and_the_version_is_printed() {
    let joined = patchstorm(&["run", "--scenario=preset=skype-2007&peers=2000&hours=20", "--set=seed=3"]);
    let apart = patchstorm(&["run", "--scenario", SMALL, "--set", "seed=3"]);
    assert!(joined.status.success(), "{}", stderr(&joined));
    let digest = |o: &Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["digest"].clone();
    assert_eq!(digest(&joined), digest(&apart));
    refused(&["run", "--scenario", SMALL, "--quiet=yes"], &["unexpected value 'yes' for '--quiet'"]);
    refused(&["run", "--scenario", SMALL, "--quiet=yes", "--set", "seed=2"], &["for '--quiet'"]);
    // An empty value (an unset shell variable) is refused before anything runs.
    refused(&["run", "--scenario="], &["--scenario needs a value"]);
    refused(&["run", "--scenario", SMALL, "--out", ""], &["--out needs a file name"]);
    // Only a flag is split: a value may itself start with -- and hold '='.
    let dir = std::env::temp_dir().join(format!("patchstorm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_patchstorm"))
        .args(["run", "--scenario", SMALL, "--quiet", "--out", "--odd=1.json"])
        .current_dir(&dir)
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("--odd=1.json").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
    let o = patchstorm(&["--version"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), format!("patchstorm {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn help_after_any_command_prints_its_usage_and_flags() {
    for (command, flags) in [
        ("run", &["--preset", "--scenario", "--set", "--hours", "--format", "--out", "--quiet"][..]),
        ("validate", &["--preset", "--peers", "--seed", "--seeds", "--set"]),
        ("ablate", &["--preset", "--peers", "--seed", "--set"]),
        (
            "phase",
            &[
                "--policy",
                "--peers",
                "--seed",
                "--seeds",
                "--rates",
                "--axis",
                "--values",
                "--capacities",
                "--format",
                "--shard",
                "--merge",
            ],
        ),
        ("report", &["--out", "--peers", "--seeds", "--phase-peers", "--phase-seeds", "--scale-peers", "--draw-seeds"]),
        ("bench", &["--peers", "--hours", "--preset"]),
        ("presets", &[]),
        ("params", &[]),
        ("completions", &[]),
    ] {
        let o = patchstorm(&[command, "--help"]);
        assert!(o.status.success(), "{command} --help: {}", stderr(&o));
        let help = stdout(&o);
        assert!(help.contains(&format!("patchstorm {command}")), "{command} --help: {help}");
        for flag in flags.iter().chain(&["--help"]) {
            assert!(help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")), "{command}: {flag}");
        }
    }
    let o = patchstorm(&["--help"]);
    assert!(o.status.success());
    for command in ["run", "presets", "params", "bench", "validate", "ablate", "phase", "report", "completions"] {
        assert!(stdout(&o).lines().any(|l| l.trim_start().starts_with(command)), "{command} in --help");
    }
    assert!(!stdout(&o).contains("bench-one"), "the benchmark's child command is not for users");
}

/// clap's own refusals (a flag it does not know, a value missing, a command
/// it does not know) are one line too, with where to look.
#[test]
fn flags_clap_refuses_are_one_line_with_a_pointer_to_help() {
    refused(&["run", "--frobnicate", "3"], &["'--frobnicate'", "patchstorm run --help"]);
    refused(&["validate", "--seedz=2"], &["'--seedz'", "patchstorm validate --help"]);
    refused(&["run", "--out"], &["'--out <FILE>'", "patchstorm run --help"]);
    refused(&["presets", "extra"], &["'extra'"]);
    refused(&["completions", "tcsh"], &["'tcsh'", "bash", "zsh", "fish"]);
    refused(&["completions"], &["<SHELL>"]);
    refused(&[], &["no command"]);
}

#[test]
fn completions_are_scripts_for_the_shell_asked() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef patchstorm"), ("fish", "complete -c patchstorm")]
    {
        let o = patchstorm(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains("patchstorm") && script.contains(marker), "{shell}: {script}");
        for word in ["validate", "scale-peers", "skype-2010"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
        assert!(!script.contains("bench-one"), "{shell}: the hidden child command is not offered");
    }
}

#[test]
fn validate_prints_each_published_point_with_its_columns() {
    let o = patchstorm(&["validate", "--peers", "5000", "--seeds", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for preset in ["preset skype-2007", "preset skype-2010"] {
        assert!(text.contains(preset), "{text}");
    }
    let header = text.lines().find(|l| l.starts_with("utc")).expect("a header line");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(columns, ["utc", "published", "share", "simulated", "seed_range", "difference", "note"]);
    // Every published count of both outages, with a number in each column.
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("2007-08-") || l.starts_with("2010-12-")).collect();
    assert_eq!(rows.len(), 9 + 4, "{text}");
    for r in &rows {
        let f: Vec<&str> = r.split_whitespace().collect();
        for x in f[1..4].iter().chain(&f[5..6]) {
            assert!(x.parse::<f64>().is_ok(), "{r}");
        }
        let (lo, hi) = f[4].split_once('-').unwrap_or_else(|| panic!("a seed range in {r}"));
        assert!(lo.parse::<f64>().unwrap() <= hi.parse::<f64>().unwrap(), "{r}");
    }
    assert_eq!(text.lines().filter(|l| l.starts_with("mean absolute difference")).count(), 2);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("seed ") && l.contains("collapse")).count(),
        4,
        "two seeds per preset"
    );
    // A preset that misses a point gets each seed on its own timing, the
    // count as it is never above the count at the best move.
    for block in text.split("preset skype-").skip(1) {
        let misses = block.lines().any(|l| l.starts_with("20") && l.contains(" * "));
        let timing: Vec<&str> = block.lines().filter(|l| l.contains("on its own timing")).collect();
        assert_eq!(timing.len(), if misses { 2 } else { 0 }, "{block}");
        for l in timing {
            // "k of n within 0.15 as it is (…); m of n (…) with the run moved …" or "…; no move of … puts more points within".
            let count =
                |s: &str| -> u32 { s.split(" of ").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap() };
            let (head, rest) = l.split_once(" as it is ").unwrap_or_else(|| panic!("{l}"));
            let as_is = count(head);
            if rest.contains("with the run moved") {
                let moved = count(rest.split_once("; ").unwrap_or_else(|| panic!("{l}")).1);
                assert!(moved > as_is, "a move is shown only when it helps: {l}");
            } else {
                assert!(rest.contains("puts more points within"), "{l}");
            }
        }
        // Then the seeds counted by the points each has within the target as
        // it is: the same counts as the per-seed lines, most first.
        let draws: Vec<&str> = block.lines().filter(|l| l.starts_with("each seed as it is")).collect();
        assert_eq!(draws.len(), usize::from(misses), "{block}");
        if let Some(l) = draws.first() {
            // (k, n) from "k of n within 0.15 as it is".
            let mut as_is: Vec<(u32, u32)> = block
                .lines()
                .filter_map(|l| l.split_once("on its own timing: "))
                .map(|(_, t)| {
                    let mut w = t.split(' ');
                    (w.next().unwrap().parse().unwrap(), w.nth(1).unwrap().parse().unwrap())
                })
                .collect();
            as_is.sort_unstable_by(|a, b| b.cmp(a));
            // "k of n points in s seeds, k' in s' seeds, …", from the per-seed counts.
            let n = as_is[0].1;
            let mut want = Vec::new();
            for k in (0..=as_is[0].0).rev() {
                let s = as_is.iter().filter(|(w, _)| *w == k).count();
                if s > 0 {
                    let seeds = if s == 1 { "1 seed".to_string() } else { format!("{s} seeds") };
                    want.push(if want.is_empty() {
                        format!("{k} of {n} points in {seeds}")
                    } else {
                        format!("{k} in {seeds}")
                    });
                }
            }
            assert_eq!(*l, format!("each seed as it is, within 0.15: {}", want.join(", ")));
        }
    }
}

#[test]
fn validate_runs_one_preset_with_a_changed_value() {
    let simulated = |args: &[&str]| {
        let o = patchstorm(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(!text.contains("skype-2010"), "only the preset asked for: {text}");
        let shares: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("2007-08-"))
            .map(|l| l.split_whitespace().nth(3).expect("a simulated share").to_string())
            .collect();
        assert_eq!(shares.len(), 9, "{text}");
        (text, shares)
    };
    let base = ["validate", "--preset", "skype-2007", "--peers", "5000", "--seed", "2"];
    let (_, preset) = simulated(&base);
    let mut changed_args = base.to_vec();
    changed_args.extend(["--set", "wave=false"]);
    let (text, changed) = simulated(&changed_args);
    assert!(text.contains("changed: wave=false"), "{text}");
    // Without the restart wave there is no outage: the shares differ.
    assert_ne!(preset, changed);
    assert!(changed.iter().all(|s| s.parse::<f64>().unwrap() > 0.8), "{changed:?}");
}

#[test]
fn study_options_are_checked_like_scenario_parameters() {
    refused(&["validate", "--preset", "calm-day"], &["calm-day", "skype-2007 or skype-2010"]);
    refused(&["validate", "--set", "seed=3"], &["seed=3", "--seed"]);
    refused(&["validate", "--set", "login_capacity=0"], &["login_capacity=0", "0.1 to 100000"]);
    refused(&["validate", "--set", "nonsense"], &["nonsense", "KEY=VALUE"]);
    refused(
        &["ablate", "--preset", "skype-2007", "--peers", "1000", "--seed", "99999999999"],
        &["seed=99999999999", "4294967295"],
    );
    refused(&["validate", "--peers", "5"], &["--peers 5", "peers=5", "1000"]);
    refused(&["report", "--scale-peers", "5"], &["--scale-peers 5", "1000 to 25000000"]);
    refused(
        &["report", "--peers", "20000", "--scale-peers", "20000"],
        &["--scale-peers 20000", "more than --peers (20000)"],
    );
    refused(&["validate", "--seeds", "0"], &["--seeds 0", "1 to 64"]);
    refused(&["report", "--phase-seeds", "65"], &["--phase-seeds 65", "--phase-seeds must be", "1 to 64"]);
    refused(&["report", "--seeds="], &["--seeds is empty", "1 to 64"]);
    refused(&["phase", "--peers", "many"], &["--peers many", "peers=many"]);
    // Padded numbers are read as numbers, not refused and not a panic.
    let o = patchstorm(&["validate", "--peers", " 1000 ", "--seed", " 3"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn set_policy_keeps_the_knobs_given_with_it_in_any_order() {
    // The same two --set values, in the order given.
    let query = |first: &str, second: &str| {
        let args =
            ["run", "--preset", "calm-day", "--hours", "1", "--set", "peers=1000", "--set", first, "--set", second];
        let v: serde_json::Value = serde_json::from_str(&stdout(&patchstorm(&args))).unwrap();
        v["scenario"].as_str().unwrap().to_string()
    };
    let a = query("retry=fixed", "policy=resilient");
    let b = query("policy=resilient", "retry=fixed");
    assert_eq!(a, b);
    assert!(a.contains("retry=fixed") && a.contains("policy=resilient"), "{a}");
}

#[test]
fn ablate_prints_one_row_per_mechanism() {
    let o = patchstorm(&["ablate", "--preset", "skype-2010", "--peers", "5000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let header = text.lines().find(|l| l.starts_with("switched off")).expect("a header line");
    for column in ["outage", "depth", "hours down", "healed after h"] {
        assert!(header.contains(column), "{header}");
    }
    for m in patchstorm::evidence::ablation::SKYPE_2010 {
        let row = text.lines().find(|l| l.starts_with(m.name)).unwrap_or_else(|| panic!("no row for {}", m.name));
        assert!(row.contains(" yes ") || row.contains(" no "), "{row}");
    }
    assert!(text.lines().any(|l| l.starts_with("nothing (the preset)")));
    assert!(!text.contains("note:"), "{text}");
    refused(&["ablate", "--preset", "calm-day"], &["calm-day", "skype-2007"]);
    refused(&["ablate"], &["--preset"]);
}

#[test]
fn ablate_set_changes_the_base_and_says_where_a_row_overrides_it() {
    let row = |text: &str, name: &str| -> String {
        text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no row {name}: {text}")).to_string()
    };
    let ablate = |sets: &[&str]| -> String {
        let mut args = vec!["ablate", "--preset", "skype-2007", "--peers", "3000"];
        for set in sets {
            args.extend(["--set", set]);
        }
        let o = patchstorm(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let notes = |text: &str| -> Vec<String> {
        text.lines().filter_map(|l| l.strip_prefix("note: ")).map(str::to_string).collect()
    };
    let preset = ablate(&[]);
    assert!(row(&preset, "nothing (the preset)").contains(" yes "), "the preset has its outage");
    // Without the wave, the base itself has no outage; the change is named,
    // and the row that switches the wave off only repeats the first row.
    let text = ablate(&["wave=false", "attach_timeout_s=5"]);
    assert!(
        text.starts_with("ablation of skype-2007 (3000 peers, seed 1, changed: wave=false attach_timeout_s=5)"),
        "{text}"
    );
    assert!(row(&text, "nothing (the changed preset)").contains(" no "), "{text}");
    assert_eq!(
        notes(&text),
        [
            "the row \"the restart wave\" (wave=false) is already off in the changed preset: it repeats the first row",
            "the row \"stale host-cache entries costing a timeout\" sets attach_timeout_s=0.5, over \
             attach_timeout_s=5 of the changed preset",
        ],
        "{text}"
    );
    // A row's off switch wins over the change: with slow login servers, the
    // row that opens them is the same as on the preset, while the base is not.
    let slow = ablate(&["login_capacity=10"]);
    assert_eq!(row(&slow, "the login bottleneck"), row(&preset, "the login bottleneck"));
    assert_ne!(
        row(&slow, "nothing (the changed preset)").replace("the changed preset", "the preset"),
        row(&preset, "nothing (the preset)")
    );
    // Overrides that come through a policy are noted too; a row that cannot
    // be built on the changed preset is left out and says why.
    let policy = ablate(&["policy=self-protect-2010"]);
    assert!(
        notes(&policy).iter().any(|n| n.contains("sets sn_overload=admission, over sn_overload=shutdown")),
        "{policy}"
    );
    let small_cache = ablate(&["cache_size=1"]);
    assert!(!small_cache.lines().any(|l| l.starts_with("load-blind supernode choice")), "{small_cache}");
    assert!(
        notes(&small_cache)
            .iter()
            .any(|n| n.starts_with("the row \"load-blind supernode choice\" (sn_choice=two-choices) is left out")
                && n.contains("allowed 2 to 200")),
        "{small_cache}"
    );
    refused(&["ablate", "--preset", "skype-2007", "--set", "seed=3"], &["seed=3", "--seed"]);
    refused(&["ablate", "--preset", "skype-2007", "--set", "sn_refusal_cost=7"], &["sn_refusal_cost=7", "0 to 1"]);
}

#[test]
fn phase_maps_each_policy() {
    let o = patchstorm(&[
        "phase",
        "--peers",
        "2000",
        "--rates",
        "1,6",
        "--capacities",
        "300,500",
        "--policy",
        "legacy-2007",
        "--seeds",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("policy legacy-2007") && text.contains("one symbol per seed (1, 2)"), "{text}");
    let grid: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("300") || l.trim_start().starts_with("500"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(grid.len(), 2, "{text}");
    // Each cell holds one outcome per seed, best first.
    let order = ['.', '1', '2', 'X'];
    for row in &grid {
        assert_eq!(row.len(), 3, "{text}");
        for cell in &row[1..] {
            let ranks: Vec<usize> =
                cell.chars().map(|c| order.iter().position(|&o| o == c).expect("a symbol")).collect();
            assert_eq!(ranks.len(), 2, "{text}");
            assert!(ranks[0] <= ranks[1], "{text}");
        }
    }
    refused(&["phase", "--rates", "1,x"], &["--rates"]);
    refused(&["phase", "--policy", "chaos"], &["chaos", "resilient"]);
    refused(&["phase", "--seeds", "0"], &["--seeds 0", "1 to 64"]);
    refused(&["phase", "--seeds", ""], &["--seeds is empty", "1 to 64"]);
    // One chosen seed, as validate and ablate take it.
    let o = patchstorm(&[
        "phase",
        "--peers",
        "2000",
        "--rates",
        "6",
        "--capacities",
        "500",
        "--policy",
        "resilient",
        "--seed",
        "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("policy resilient: rows supernode capacity (clients), columns restart rate (%/h), seed 5"),
        "{text}"
    );
    assert!(!text.contains("one symbol per seed"), "{text}");
}

/// Links from strangers, as the command line meets them: every case that
/// was found to go wrong, from the outside.
#[test]
fn a_run_with_seconds_in_its_trigger_prints_a_link_that_gives_the_same_run() {
    // The rounded trigger made restart_rate=6 unreachable, so the run's own
    // link was refused; times now keep their seconds.
    let o = patchstorm(&["run", "--scenario", "peers=1000&hours=40&trigger=2007-08-15T16:00:27Z"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let link = v["scenario"].as_str().unwrap();
    assert!(link.contains("trigger=2007-08-15T16:00:27Z"), "{link}");
    let again = patchstorm(&["run", "--scenario", link]);
    assert!(again.status.success(), "{}", stderr(&again));
    let w: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!((&w["scenario"], &w["digest"]), (&v["scenario"], &v["digest"]));
}

#[test]
fn a_long_link_is_refused_by_its_length_and_input_cannot_forge_lines() {
    let junk: String = (0..9_000).map(|i| format!("k{i}=1&")).collect();
    refused(&["run", "--scenario", &junk], &["bytes long", "at most 16384"]);
    // A newline or carriage return in a value stays inside the one line.
    refused(&["run", "--set", "peers=1000\nseed=2"], &["peers=1000\\nseed=2"]);
    refused(&["run", "--scenario", "peers=1000\r\nerror: forged"], &["\\r\\n"]);
    refused(&["run", "--set", "v\n=1"], &["v\\n"]);
}

#[test]
fn a_set_policy_cannot_smuggle_other_keys() {
    refused(&["run", "--set", "policy=resilient&v=1"], &["policy=resilient&v=1 is not allowed", "resilient"]);
    refused(&["run", "--set", "policy=resilient&peers=5"], &["policy=resilient&peers=5"]);
}

#[cfg(unix)]
#[test]
fn out_writes_through_a_symbolic_link() {
    let dir = std::env::temp_dir().join(format!("patchstorm-cli-link-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("real")).unwrap();
    let target = dir.join("real").join("run.csv");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink("real/run.csv", &link).unwrap();
    let o = csv_out(&link);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
    assert!(std::fs::read_to_string(&target).unwrap().starts_with("t_hours,"), "the file it points to has the output");
    let left: Vec<_> = std::fs::read_dir(dir.join("real")).unwrap().filter_map(Result::ok).collect();
    assert_eq!(left.len(), 1, "no temporary file left beside the target");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_refused_by_name() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"peers=\xff");
    let o =
        Command::new(env!("CARGO_BIN_EXE_patchstorm")).args(["run".as_ref(), "--set".as_ref(), bad]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
}

/// A map cut into slices (`--shard I/N`) and joined (`--merge`) is the map
/// run whole, line for line; the page's map makes the same cells.
#[test]
fn a_sharded_map_merged_is_the_whole_map() {
    let map = [
        "phase",
        "--peers",
        "2000",
        "--rates",
        "3,9",
        "--axis",
        "login_capacity",
        "--values",
        "60,120",
        "--seeds",
        "1",
    ];
    let whole = patchstorm(&[&map[..], &["--format", "jsonl"]].concat());
    assert!(whole.status.success(), "{}", stderr(&whole));
    let dir = std::env::temp_dir().join(format!("patchstorm-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for i in 1..=3 {
        let o = patchstorm(&[&map[..], &["--shard", &format!("{i}/3")]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        let file = dir.join(format!("slice-{i}.jsonl"));
        std::fs::write(&file, &o.stdout).unwrap();
        files.push(file.display().to_string());
    }
    let lines = stdout(&whole);
    let head: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!((head["runs"].as_u64(), head["shard"].as_str()), (Some(12), Some("1/1")));
    assert_eq!(lines.lines().count(), 13);
    let cell = lines
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["restart_rate"] == "9")
        .unwrap();
    assert_eq!((cell["class"].as_str(), cell["digest"].as_str()), (Some("impossible"), None), "9 %/h is past the wave");
    // Joined in any order, the slices are the whole map.
    let merged = patchstorm(&["phase", "--merge", &files[2], &files[0], &files[1], "--format", "jsonl"]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert_eq!(stdout(&merged), lines);
    // A table too, the same as the whole map's.
    let table = patchstorm(&["phase", "--merge", &files[0], &files[1], &files[2]]);
    assert_eq!(stdout(&table), stdout(&patchstorm(&map)));
    assert!(stdout(&table).contains("rows login capacity (logins/s per M peers)"), "{}", stdout(&table));
    refused(&["phase", "--merge", &files[0], &files[1]], &["slice 3/3 is missing"]);
    refused(&["phase", "--merge", &files[0], &files[0], &files[1]], &["both slice 1/3"]);
    refused(&["phase", "--shard", "0/3"], &["--shard 0/3", "I/N"]);
    refused(&["phase", "--axis", "policy"], &["--axis policy", "sn_capacity"]);
    refused(&["phase", "--axis", "login_capacity"], &["--values"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The map file the page's e2e test opens is what `phase --format jsonl` writes.
#[test]
fn the_map_file_the_page_opens_is_the_clis() {
    let o = patchstorm(&[
        "phase", "--peers", "2000", "--rates", "3,6", "--values", "300,400", "--seeds", "1", "--format", "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/phase-map.jsonl");
    let stored = std::fs::read_to_string(&path).unwrap();
    assert_eq!(stdout(&o), stored, "the map's runs changed; if intended, write the file anew with the command above");
}

#[test]
fn an_intervention_runs_from_set_and_from_a_link_alike() {
    let run = |args: &[&str]| -> serde_json::Value {
        let o = patchstorm(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let base = ["run", "--quiet", "--preset", "skype-2007", "--set", "peers=2000", "--hours", "30"];
    let set = run(&[&base[..], &["--set", "at=20h:policy=resilient", "--set", "at=18h:login_capacity=200"]].concat());
    let link = "v=4&preset=skype-2007&peers=2000&hours=30&at=18h:login_capacity=200&at=20h:policy=resilient";
    assert_eq!(set["scenario"], link);
    let linked = run(&["run", "--quiet", "--scenario", link]);
    assert_eq!(set["digest"], linked["digest"]);
    // The page's encoded form is the same link.
    let encoded =
        run(&["run", "--quiet", "--scenario", &link.replace("18h:login_capacity=200", "18h%3Alogin_capacity%3D200")]);
    assert_eq!(encoded["digest"], linked["digest"]);
    assert_ne!(run(&base)["digest"], linked["digest"], "the interventions change the run");
    refused(
        &["run", "--set", "at=20h:peers=5000"],
        &["at=20h:peers=5000", "cannot be changed", "policy", "mega_ramp_h"],
    );
    refused(&["run", "--set", "at=100h:policy=resilient"], &["at=100h", "before the run's end at 96h"]);
    refused(&["run", "--scenario", "v=3&at=20h:policy=resilient"], &["at=20h:policy=resilient", "v=4 or later"]);
    let params = stdout(&patchstorm(&["params"]));
    let at = params.lines().position(|l| l.starts_with("at ")).expect("params lists at");
    let rest: String = params.lines().skip(at).take(12).collect::<Vec<_>>().join(" ");
    for key in ["policy", "login_capacity", "mega_count", "restart_rate", "wave=off", "30h15m"] {
        assert!(rest.contains(key), "params' at lacks {key}: {rest}");
    }
}
