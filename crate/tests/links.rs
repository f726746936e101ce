//! Links from strangers: the link codec (`Scenario::from_query` and
//! `to_query`) against generated links, valid and not. Every accepted link
//! round-trips exactly (its canonical link is accepted and is the same
//! scenario), nothing panics, every refusal is one line, and a query past
//! the stated limit is refused before it is read. `cargo xtask fuzz` runs
//! the same checks over a million or more links.
#![cfg(not(target_arch = "wasm32"))]

use patchstorm::scenario::{ScenarioError, MAX_QUERY_BYTES, PARAMS, PRESETS};
use patchstorm::Scenario;
use proptest::prelude::*;

/// One generated `key=value` part: a real key with a value of its kind (or
/// near it), a real key with junk, or junk.
fn part() -> impl Strategy<Value = String> {
    let key = prop::sample::select(PARAMS.iter().map(|p| p.key).collect::<Vec<_>>());
    let value = prop_oneof![
        (0i64..30_000_000).prop_map(|n| n.to_string()),
        (-5.0f64..200.0).prop_map(|x| format!("{x}")),
        prop::sample::select(vec!["true", "false", "yes", "0", "resilient", "legacy-2007", "jitter", "two-choices"])
            .prop_map(str::to_string),
        // Times, with and without seconds, some out of range.
        (2000i64..2030, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0u32..60, any::<bool>()).prop_map(
            |(y, m, d, hh, mm, ss, secs)| {
                if secs {
                    format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
                } else {
                    format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}Z")
                }
            }
        ),
        "[ -~\n\r\t%&=]{0,12}",
    ];
    prop_oneof![
        4 => (key, value).prop_map(|(k, v)| format!("{k}={v}")),
        1 => prop::sample::select(PRESETS.iter().map(|p| p.key).collect::<Vec<_>>()).prop_map(|p| format!("preset={p}")),
        1 => (1u32..6).prop_map(|v| format!("v={v}")),
        // Interventions: a time near the syntax, any key, a short value.
        1 => ("[0-9]{1,5}(h|m|h[0-9]{1,2}m)", prop::sample::select(PARAMS.iter().map(|p| p.key).collect::<Vec<_>>()), "[a-z0-9.-]{0,12}")
            .prop_map(|(t, k, v)| format!("at={t}:{k}={v}")),
        1 => "[ -~\n\r\u{85}\u{2028}]{0,16}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(part(), 0..8).prop_map(|parts| parts.join("&"))
}

/// What a refusal must be: one line, never empty.
fn check_message(e: &ScenarioError) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert!(!text.is_empty());
    prop_assert!(!text.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']), "{text:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Any text: refused with one line, or accepted and round-tripping.
    #[test]
    fn every_accepted_link_round_trips_and_every_refusal_is_one_line(q in query()) {
        match Scenario::from_query(&q) {
            Err(e) => check_message(&e)?,
            Ok(s) => {
                let canonical = s.to_query();
                let again = Scenario::from_query(&canonical);
                prop_assert!(again.is_ok(), "{q:?} -> {canonical:?} is refused: {:?}", again.err().map(|e| e.to_string()));
                let again = again.unwrap();
                prop_assert_eq!(&again, &s, "{:?} -> {:?}", q, canonical);
                prop_assert_eq!(again.to_query(), canonical);
            }
        }
    }
}

#[test]
fn a_trigger_with_seconds_keeps_them() {
    // Seconds were dropped from the canonical link, which made it another
    // scenario, and here one that is refused: the rounded trigger makes
    // restart_rate=6 unreachable.
    let s = Scenario::from_query("peers=1000&trigger=2007-08-17T06:00:27Z").unwrap();
    assert!(s.to_query().contains("trigger=2007-08-17T06:00:27Z"), "{}", s.to_query());
    assert_eq!(Scenario::from_query(&s.to_query()).unwrap(), s);
    let s = Scenario::from_query("trigger=2007-08-15T16:00:30Z").unwrap();
    assert_eq!(Scenario::from_query(&s.to_query()).unwrap(), s);
}

#[test]
fn a_query_past_the_limit_is_refused_before_it_is_read() {
    let junk: String = (0..250_000).map(|i| format!("key{i}=1&")).collect();
    assert!(junk.len() > 2_000_000);
    let e = Scenario::from_query(&junk).unwrap_err();
    assert!(matches!(e, ScenarioError::TooLong { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains(&MAX_QUERY_BYTES.to_string()) && text.contains(&junk.len().to_string()), "{text}");
    // Just under the limit, distinct unknown keys are refused at the first.
    let mut near = String::new();
    let mut i = 0;
    while near.len() + 12 < MAX_QUERY_BYTES {
        near.push_str(&format!("k{i}=1&"));
        i += 1;
    }
    let e = Scenario::from_query(&near).unwrap_err();
    assert!(matches!(e, ScenarioError::UnknownKey { .. }), "{e}");
}

#[test]
fn input_cannot_forge_lines_in_a_message() {
    for q in ["peers=1000\nseed=2", "peers=\r\nerror: forged", "nonsense\n=1", "seed=1&seed=2\u{2028}"] {
        let e = Scenario::from_query(q).unwrap_err().to_string();
        assert!(!e.contains(['\n', '\r', '\u{2028}']), "{e:?}");
    }
    let e = Scenario::from_query("peers=1000%0Aseed%3D2").unwrap_err().to_string();
    assert!(e.contains("peers=1000\\nseed=2"), "{e}");
}

#[test]
fn a_policy_given_with_others_cannot_bring_other_keys_along() {
    // The CLI's `--set policy=VALUE` goes through here.
    let e = Scenario::parse_query_with("preset=skype-2007", &[("policy", "resilient&v=1")]).unwrap_err().to_string();
    assert!(e.starts_with("policy=resilient&v=1 is not allowed"), "{e}");
    let s = Scenario::parse_query_with("preset=skype-2007&policy=legacy-2007", &[("policy", "resilient")]).unwrap();
    assert_eq!(s.policy(), patchstorm::policy::Policy::Resilient);
}
