//! Scenarios: a preset plus parameter values, validated once at the edge.
//!
//! A scenario round-trips through a URL query string such as
//! `v=2&preset=skype-2007&peers=200000&policy=resilient&seed=7`. The query
//! carries a format version (`v`, this build's when absent) so old links keep
//! working (a `v=1` link replays with the values it was made with),
//! and the canonical form writes only what differs from the preset (and from
//! the chosen policy's knobs). Bad input becomes a [`ScenarioError`] whose
//! message names the key, the value and what is allowed.

pub mod intervention;
pub mod params;

use std::fmt;

pub use intervention::Intervention;
pub use params::{Group, Kind, Param, Value, P, PARAMS};

use crate::policy::{Choice, Overload, Policy, RetryKind, SnChoice, Supply};

/// The query format this build writes. Links without `v` are read as this
/// version. Version 2 recalibrated the 2007 world (see [`V1_WORLD`]);
/// version 3 changed how the login servers count failed clients
/// (`login::Failures`), which links of format 1 and 2 keep: a scenario
/// remembers the format it replays ([`Scenario::format`]). Version 4 added
/// timed interventions (`at`, [`Intervention`]) and changed nothing else:
/// links of format 3 replay the same, and are refused if they give `at`.
pub const FORMAT_VERSION: u32 = 4;
/// The first format with interventions.
pub const INTERVENTIONS_SINCE: u32 = 4;
/// The first format whose runs this build's engine gives unchanged: a run
/// of a link of this format or later is the same run in [`FORMAT_VERSION`]
/// (an operator's action on it writes it in that format,
/// `Scenario::adopt_current_format`).
pub const SAME_RUN_SINCE: u32 = 3;
/// The oldest format a scenario is written in: a link of format 1 is
/// written as format 2 with the values it had named ([`V1_WORLD`]), since
/// the engine of the two formats is the same.
const OLDEST_WRITTEN: u32 = 2;

/// The values links of format 1 had where format 2 changed them: the 2007
/// world before its recalibration to the published record. A `v=1` link
/// gets these unless it gives the key itself, so it replays the run it
/// showed when it was made. Presets that override a key keep their value,
/// and the policy knob applies only under the `legacy-2007` policy.
pub const V1_WORLD: &[(P, Value)] = &[
    (P::SnAttemptCapacity, Value::Float(3.0)),
    (P::SnRefusalCost, Value::Float(1.0)),
    (P::AttachTimeoutS, Value::Float(10.0)),
    (P::LoginCapacity, Value::Float(60.0)),
];
/// The `legacy-2007` policy's promotion rate in links of format 1.
const V1_LEGACY_PROMOTE_RATE: f64 = 0.25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Skype2007,
    Skype2010,
    CalmDay,
    Resilient2007,
}

pub struct PresetInfo {
    pub preset: Preset,
    pub key: &'static str,
    pub title: &'static str,
    pub story: &'static str,
}

pub const PRESETS: &[PresetInfo] = &[
    PresetInfo {
        preset: Preset::Skype2007,
        key: "skype-2007",
        title: "Skype, August 2007: the Patch Tuesday restart storm",
        story: "Windows Update restarts millions of PCs overnight, supernodes among them. Returning clients \
                flood the login servers and the few supernodes left; the legacy allocation policy promotes \
                replacements only after a day of uptime and at the slow pace of normal churn, and clients \
                retry fast and blind to load, so overloaded supernodes shed clients that load the others. The \
                network collapses within hours and limps along at a fraction of normal through the next day; \
                it climbs back late on Aug 17 (UTC), about a day and a half after the collapse, once the \
                slowly rebuilt core can hold everyone who needs it.",
    },
    PresetInfo {
        preset: Preset::Skype2010,
        key: "skype-2010",
        title: "Skype, December 2010: the crashing client",
        story: "A faulty client version crashes on delayed replies from overloaded message servers, taking a \
                quarter of the supernodes with it. Restarting clients push supernode traffic far above normal and \
                overloaded supernodes take themselves offline, which overloads the rest. The network stays down \
                until the operator starts dedicated mega-supernodes.",
    },
    PresetInfo {
        preset: Preset::CalmDay,
        key: "calm-day",
        title: "A calm day",
        story: "No trigger: users come and go with the time of day, supernodes are promoted as they are needed, \
                and the network carries everyone.",
    },
    PresetInfo {
        preset: Preset::Resilient2007,
        key: "resilient-2007",
        title: "The 2007 restart wave under the resilient policy",
        story: "The same restart wave as in 2007, but capable peers are promoted as soon as supernodes run short, \
                clients choose the less loaded of two supernodes and back off with full jitter, and login servers \
                and supernodes refuse what they cannot serve. The network dips and is back within hours.",
    },
];

impl Preset {
    pub fn info(self) -> &'static PresetInfo {
        PRESETS.iter().find(|i| i.preset == self).expect("every preset is listed")
    }
    pub fn key(self) -> &'static str {
        self.info().key
    }
    pub fn from_key(key: &str) -> Option<Preset> {
        PRESETS.iter().find(|i| i.key == key).map(|i| i.preset)
    }

    /// Differences from the base defaults in the parameter table.
    fn overrides(self) -> &'static [(P, Value)] {
        use Value::*;
        match self {
            // The base defaults are the 2007 outage's, with its trigger at
            // 2007-08-15T16:00Z [H], a day after the patches came out (Aug 14 [P]).
            Preset::Skype2007 => &[],
            Preset::Resilient2007 => &[(P::Policy, Choice(Policy::Resilient as u8))],
            Preset::CalmDay => &[(P::Wave, Bool(false)), (P::Hours, Int(48))],
            Preset::Skype2010 => &[
                (P::Policy, Choice(Policy::SelfProtect2010 as u8)),
                (P::Start, Time(1_292_889_600)),   // 2010-12-21T00:00Z
                (P::Trigger, Time(1_293_033_600)), // 2010-12-22T16:00Z [P] failures began about 11:00 EST
                (P::Hours, Int(96)),
                (P::Wave, Bool(false)),
                (P::Crash, Bool(true)),
                (P::FaultyVersion, Float(0.5)),
                // [H, fitted] users restart a crashed client within minutes,
                // fitted to the published 18:40 UTC count (docs/calibration.md).
                (P::CrashRestartMin, Float(2.75)),
                // [H, fitted] a lower self-protection threshold than the
                // 2007 stall point, and login servers that coped [P].
                (P::SnAttemptCapacity, Float(0.25)),
                (P::LoginCapacity, Float(300.0)),
                (P::MegaCount, Float(150.0)),
                (P::MegaAfterH, Float(18.0)),
                (P::MegaRampH, Float(8.0)),
                // [H] the 2010 fit was made with these, the 2007 world's
                // values before its recalibration (link format 1); the
                // 2010 outage does not turn on them.
                (P::AttachTimeoutS, Float(10.0)),
                (P::SnRefusalCost, Float(1.0)),
            ],
        }
    }
}

/// The policy knobs each named allocation policy sets. See `policy.rs` for
/// what each does and why it fails or heals, and `docs/calibration.md` for
/// how the fitted values were found.
fn policy_knobs(policy: Policy) -> &'static [(P, Value)] {
    use Value::*;
    match policy {
        // legacy-2007 [H]: promotion needs a day of uptime, is paced for
        // normal churn and counts overloaded supernodes as working; clients
        // retry every 2 s and pick supernodes blind to load; login servers
        // queue everything; overloaded supernodes stall.
        Policy::Legacy2007 => &[
            (P::LoginAdmission, Bool(false)),
            (P::Retry, Choice(RetryKind::Fixed as u8)),
            (P::RetryBaseS, Float(2.0)),
            (P::RetryCapS, Float(2.0)),
            (P::PromoteUptimeMin, Int(1_440)),
            // [H, fitted] with four values of the 2007 world in `PARAMS`;
            // link format 1 used another (`V1_LEGACY_PROMOTE_RATE`).
            (P::PromoteRate, Float(0.52)),
            (P::PromoteCounts, Choice(Supply::All as u8)),
            (P::SnChoice, Choice(SnChoice::Blind as u8)),
            (P::SnOverload, Choice(Overload::Stall as u8)),
        ],
        // self-protect-2010: the 2007 fix (shortage-aware promotion) is in,
        // login servers cope [P], but overloaded supernodes take themselves
        // offline [P] and clients retry with capped exponential backoff [H].
        Policy::SelfProtect2010 => &[
            (P::LoginAdmission, Bool(true)),
            (P::Retry, Choice(RetryKind::Exponential as u8)),
            (P::RetryBaseS, Float(2.0)),
            (P::RetryCapS, Float(60.0)),
            (P::PromoteUptimeMin, Int(720)),
            (P::PromoteRate, Float(5.0)),
            (P::PromoteCounts, Choice(Supply::Answering as u8)),
            (P::SnChoice, Choice(SnChoice::Blind as u8)),
            (P::SnOverload, Choice(Overload::Shutdown as u8)),
        ],
        // resilient: promote capable peers when short, power of two choices,
        // admission control everywhere, backoff with full jitter [P: Brooker].
        Policy::Resilient => &[
            (P::LoginAdmission, Bool(true)),
            (P::Retry, Choice(RetryKind::Jitter as u8)),
            (P::RetryBaseS, Float(1.0)),
            (P::RetryCapS, Float(300.0)),
            (P::PromoteUptimeMin, Int(10)),
            (P::PromoteRate, Float(200.0)),
            (P::PromoteCounts, Choice(Supply::Answering as u8)),
            (P::SnChoice, Choice(SnChoice::TwoChoices as u8)),
            (P::SnOverload, Choice(Overload::Admission as u8)),
        ],
    }
}

/// The longest query a link may have, in bytes. A canonical link of every
/// parameter changed is well under 4 kB; a longer one is refused at once,
/// before it is split, so no link can keep a tab or the tool busy.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioError {
    /// The query is longer than [`MAX_QUERY_BYTES`].
    TooLong {
        bytes: usize,
    },
    /// Not `key=value`.
    Malformed {
        part: String,
    },
    UnknownKey {
        key: String,
    },
    Duplicate {
        key: String,
    },
    BadValue {
        key: String,
        value: String,
        allowed: String,
    },
    /// A value that is in range on its own but not with the others.
    Conflict {
        key: String,
        value: String,
        reason: String,
    },
    /// An `at` value (an intervention) that is not allowed, and why.
    BadIntervention {
        value: String,
        reason: String,
    },
}

/// Text from a link as a message shows it: every character that is not
/// printable escaped ([`escape_controls`]), so that one error stays one line
/// and input cannot forge lines of output. Long input is cut, with its
/// length said.
pub fn shown(text: &str) -> String {
    const MOST: usize = 200;
    match text.char_indices().nth(MOST) {
        None => escape_controls(text),
        Some((cut, _)) => format!("{}… ({} characters in all)", escape_controls(&text[..cut]), text.chars().count()),
    }
}

/// `text` with newlines, carriage returns, tabs and every other control or
/// line-separating character written as `\n`, `\r`, `\t` or `\u{..}`: one
/// line, whatever it holds. The CLI passes every message through this.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::TooLong { bytes } => {
                write!(f, "the scenario is {bytes} bytes long: a link's query may be at most {MAX_QUERY_BYTES} bytes")
            }
            ScenarioError::Malformed { part } => {
                write!(f, "malformed scenario part \"{}\": expected key=value pairs joined by &", shown(part))
            }
            ScenarioError::UnknownKey { key } => write!(
                f,
                "unknown key \"{}\": allowed keys are v, preset and the parameters listed by `patchstorm params`",
                shown(key)
            ),
            ScenarioError::Duplicate { key } => {
                write!(f, "key \"{}\" is given twice: give each key once", shown(key))
            }
            ScenarioError::BadValue { key, value, allowed } => {
                let key = shown(key);
                write!(f, "{key}={} is not allowed: {key} must be {allowed}", shown(value))
            }
            ScenarioError::Conflict { key, value, reason } => {
                write!(f, "{}={} is not allowed: {reason}", shown(key), shown(value))
            }
            ScenarioError::BadIntervention { value, reason } => {
                write!(f, "at={} is not allowed: {reason}", shown(value))
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    preset: Preset,
    values: Vec<Value>,
    /// The link format whose engine this scenario replays (2 to 4).
    format: u32,
    /// The operator's interventions, by time; several at one time apply in
    /// the order given.
    interventions: Vec<Intervention>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::preset(Preset::Skype2007)
    }
}

impl Scenario {
    pub fn preset(preset: Preset) -> Self {
        let mut s = Scenario {
            preset,
            values: PARAMS.iter().map(|p| p.default).collect(),
            format: FORMAT_VERSION,
            interventions: Vec::new(),
        };
        for &(p, v) in preset.overrides() {
            s.values[p as usize] = v;
        }
        s.apply_policy_knobs();
        s
    }

    pub fn preset_id(&self) -> Preset {
        self.preset
    }

    /// The link format this scenario replays and is written in: this
    /// build's, or 2 for a link of format 1 or 2, whose runs keep the login
    /// servers' old count of failed clients.
    pub fn format(&self) -> u32 {
        self.format
    }

    /// Writes the scenario in this build's format if its runs are the same
    /// there ([`SAME_RUN_SINCE`]): a link of format 3 that gets an
    /// intervention becomes a link of format 4 of the same run.
    pub fn adopt_current_format(&mut self) {
        if self.format >= SAME_RUN_SINCE {
            self.format = FORMAT_VERSION;
        }
    }

    /// The operator's interventions, by time.
    pub fn interventions(&self) -> &[Intervention] {
        &self.interventions
    }

    /// Adds an intervention after those at or before its time. Its values
    /// were checked on their own; the checks between them and the run wait
    /// for [`Self::validate`].
    pub fn add_intervention(&mut self, iv: Intervention) -> Result<(), ScenarioError> {
        if self.format < INTERVENTIONS_SINCE {
            return Err(ScenarioError::BadIntervention {
                value: iv.text(),
                reason: format!(
                    "interventions need a link of format v={INTERVENTIONS_SINCE} or later; this link is v={}",
                    self.format
                ),
            });
        }
        let at = self.interventions.partition_point(|o| o.at_min <= iv.at_min);
        self.interventions.insert(at, iv);
        Ok(())
    }

    /// Replaces the interventions, for a caller that checked them (the engine).
    pub(crate) fn set_interventions(&mut self, interventions: Vec<Intervention>) {
        self.interventions = interventions;
    }

    /// The scenario without its interventions: the values in force at the start.
    pub fn without_interventions(&self) -> Scenario {
        Scenario { interventions: Vec::new(), ..self.clone() }
    }

    /// Applies an intervention's changes to the values: a policy sets its
    /// knobs, then the knobs given with it win.
    pub fn apply(&mut self, iv: &Intervention) {
        for &(p, v) in &iv.changes {
            self.values[p as usize] = v;
            if p == P::Policy {
                self.apply_policy_knobs();
            }
        }
    }

    fn apply_policy_knobs(&mut self) {
        for &(p, v) in policy_knobs(self.policy()) {
            self.values[p as usize] = v;
        }
    }

    pub fn get(&self, p: P) -> Value {
        self.values[p as usize]
    }
    pub fn int(&self, p: P) -> i64 {
        match self.get(p) {
            Value::Int(i) => i,
            v => unreachable!("{} is an integer parameter, holds {v:?}", params::param(p).key),
        }
    }
    pub fn float(&self, p: P) -> f64 {
        match self.get(p) {
            Value::Float(f) => f,
            v => unreachable!("{} is a number parameter, holds {v:?}", params::param(p).key),
        }
    }
    pub fn flag(&self, p: P) -> bool {
        match self.get(p) {
            Value::Bool(b) => b,
            v => unreachable!("{} is a yes/no parameter, holds {v:?}", params::param(p).key),
        }
    }
    /// The option a choice parameter holds, as its type: `s.pick::<SnChoice>(P::SnChoice)`.
    pub fn pick<T: Choice>(&self, p: P) -> T {
        match self.get(p) {
            Value::Choice(c) => T::from_index(c),
            v => unreachable!("{} is a choice parameter, holds {v:?}", params::param(p).key),
        }
    }
    /// The allocation policy.
    pub fn policy(&self) -> Policy {
        self.pick(P::Policy)
    }
    pub fn time(&self, p: P) -> i64 {
        match self.get(p) {
            Value::Time(t) => t,
            v => unreachable!("{} is a time parameter, holds {v:?}", params::param(p).key),
        }
    }

    pub fn value_by_key(&self, key: &str) -> Option<Value> {
        params::find(key).map(|i| self.values[i])
    }

    /// Text form of a parameter's value, as in a link.
    pub fn value_text(&self, p: P) -> String {
        params::format_value(&params::param(p).kind, self.get(p))
    }

    /// [`Self::value_text`] of the parameter named `key`; `None` for an unknown key.
    pub fn text_by_key(&self, key: &str) -> Option<String> {
        params::find(key).map(|i| params::format_value(&PARAMS[i].kind, self.values[i]))
    }

    /// Sets one parameter from text. Setting `policy` resets the policy knobs
    /// to that policy's values. Cross-parameter checks wait for [`Self::validate`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ScenarioError> {
        if key == "at" {
            return self.add_intervention(Intervention::parse(value)?);
        }
        let i = params::find(key).ok_or_else(|| ScenarioError::UnknownKey { key: key.into() })?;
        let kind = &PARAMS[i].kind;
        let v = params::parse_value(kind, value).map_err(|allowed| ScenarioError::BadValue {
            key: key.into(),
            value: value.into(),
            allowed,
        })?;
        self.values[i] = v;
        if i == P::Policy as usize {
            self.apply_policy_knobs();
        }
        Ok(())
    }

    /// Sets one parameter to a typed value, range-checked as [`Self::set`]
    /// checks text. Setting `policy` resets the policy knobs.
    pub fn set_value(&mut self, p: P, v: Value) -> Result<(), ScenarioError> {
        let param = params::param(p);
        params::check_value(&param.kind, v).map_err(|allowed| ScenarioError::BadValue {
            key: param.key.into(),
            value: params::format_value(&param.kind, v),
            allowed,
        })?;
        self.values[p as usize] = v;
        if p == P::Policy {
            self.apply_policy_knobs();
        }
        Ok(())
    }

    /// [`Self::parse_query`] of `query` with `sets` (key, value) applied
    /// after it, as a link would have them: a policy among `sets` (the last
    /// given) replaces one in `query` and is applied first, so the knobs
    /// given with it are kept, and a link of format 1 gets that policy's
    /// knobs of its format. Cross-parameter checks wait for [`Self::validate`].
    pub fn parse_query_with(query: &str, sets: &[(&str, &str)]) -> Result<Scenario, ScenarioError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut q = query.to_string();
        if let Some(&(_, policy)) = sets.iter().rev().find(|&&(k, _)| k == "policy") {
            let kept: Vec<&str> = query.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("policy=")).collect();
            q = kept.join("&");
            if !q.is_empty() {
                q.push('&');
            }
            // Encoded, so that a value cannot bring other keys with it.
            q.push_str(&format!("policy={}", percent_encode(policy)));
        }
        let mut s = Scenario::parse_query(&q)?;
        for &(k, v) in sets.iter().filter(|&&(k, _)| k != "policy") {
            s.set(k, v)?;
        }
        Ok(s)
    }

    /// Parses a query string (a leading `?` is allowed). Without `preset`,
    /// the scenario starts from `skype-2007`. `preset` and `policy` are
    /// applied before the other keys, whatever their order.
    pub fn from_query(query: &str) -> Result<Scenario, ScenarioError> {
        let s = Scenario::parse_query(query)?;
        s.validate()?;
        Ok(s)
    }

    /// Like [`Self::from_query`] without the checks between parameters, for
    /// callers that set more values before validating (the CLI's `--set`).
    pub fn parse_query(query: &str) -> Result<Scenario, ScenarioError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        if query.len() > MAX_QUERY_BYTES {
            return Err(ScenarioError::TooLong { bytes: query.len() });
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        // Keys seen, for the duplicate check in O(log n) a key: the query is
        // checked in time linear in its length, up to a log factor.
        let mut seen = std::collections::BTreeSet::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| ScenarioError::Malformed { part: part.into() })?;
            let (k, v) = (percent_decode(k), percent_decode(v));
            if k.is_empty() {
                return Err(ScenarioError::Malformed { part: part.into() });
            }
            if k != "at" && !seen.insert(k.clone()) {
                return Err(ScenarioError::Duplicate { key: k });
            }
            pairs.push((k, v));
        }
        let lookup = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let version = match lookup("v") {
            None => FORMAT_VERSION,
            Some(v) => v.parse::<u32>().ok().filter(|n| (1..=FORMAT_VERSION).contains(n)).ok_or_else(|| {
                ScenarioError::BadValue {
                    key: "v".into(),
                    value: v.into(),
                    allowed: format!("a link format version from 1 to {FORMAT_VERSION} (this build)"),
                }
            })?,
        };
        let preset = match lookup("preset") {
            None => Preset::Skype2007,
            Some(v) => Preset::from_key(v).ok_or_else(|| ScenarioError::BadValue {
                key: "preset".into(),
                value: v.into(),
                allowed: format!("one of {}", PRESETS.iter().map(|p| p.key).collect::<Vec<_>>().join(", ")),
            })?,
        };
        let mut s = Scenario::preset(preset);
        s.format = version.max(OLDEST_WRITTEN);
        if let Some(v) = lookup("policy") {
            s.set("policy", v)?;
        }
        if version == 1 {
            s.apply_v1_world();
        }
        for (k, v) in &pairs {
            if !matches!(k.as_str(), "v" | "preset" | "policy") {
                s.set(k, v)?;
            }
        }
        Ok(s)
    }

    /// Puts back the values of [`V1_WORLD`] that a link of format 1 had. Keys
    /// the link gives are set after this and win.
    fn apply_v1_world(&mut self) {
        let overridden = self.preset.overrides();
        for &(p, v) in V1_WORLD {
            if !overridden.iter().any(|&(q, _)| q == p) {
                self.values[p as usize] = v;
            }
        }
        if self.policy() == Policy::Legacy2007 {
            self.values[P::PromoteRate as usize] = Value::Float(V1_LEGACY_PROMOTE_RATE);
        }
    }

    /// The values this scenario is compared with when writing its link: its
    /// preset, with the knobs of its own policy.
    fn reference(&self) -> Scenario {
        let mut r = Scenario::preset(self.preset);
        r.values[P::Policy as usize] = self.get(P::Policy);
        r.apply_policy_knobs();
        r
    }

    /// Canonical query: the version, the preset, then every parameter that
    /// differs from the preset (policy first), in table order.
    pub fn to_query(&self) -> String {
        let mut out = format!("v={}&preset={}", self.format, self.preset.key());
        // Written at the end: `out` below is scanned by `changes`.
        let interventions: String = self.interventions.iter().map(|iv| format!("&at={}", iv.text())).collect();
        let preset = Scenario::preset(self.preset);
        if self.get(P::Policy) != preset.get(P::Policy) {
            out.push_str(&format!("&policy={}", self.value_text(P::Policy)));
        }
        let reference = self.reference();
        for (i, p) in PARAMS.iter().enumerate() {
            if i != P::Policy as usize && self.values[i] != reference.values[i] {
                out.push('&');
                out.push_str(p.key);
                out.push('=');
                out.push_str(&percent_encode(&params::format_value(&p.kind, self.values[i])));
            }
        }
        out.push_str(&interventions);
        out
    }

    /// Parameters that differ from the preset, as (key, text) pairs.
    pub fn changes(&self) -> Vec<(&'static str, String)> {
        self.to_query()
            .split('&')
            .skip(2)
            .filter_map(|kv| kv.split_once('='))
            .filter(|&(k, _)| k != "at")
            .map(|(k, v)| (PARAMS[params::find(k).expect("written from the table")].key, percent_decode(v)))
            .collect()
    }

    /// Every parameter with its value, for the JSON export.
    pub fn to_json(&self) -> serde_json::Value {
        let mut values = serde_json::Map::new();
        for (i, p) in PARAMS.iter().enumerate() {
            let v = match self.values[i] {
                Value::Int(x) => serde_json::json!(x),
                Value::Float(x) => serde_json::json!(x),
                Value::Bool(x) => serde_json::json!(x),
                Value::Choice(_) | Value::Time(_) => serde_json::json!(params::format_value(&p.kind, self.values[i])),
            };
            values.insert(p.key.into(), v);
        }
        serde_json::json!({
            "v": self.format,
            "preset": self.preset.key(),
            "query": self.to_query(),
            "params": values,
            "at": self.interventions.iter().map(Intervention::text).collect::<Vec<_>>(),
        })
    }

    /// What its restart wave is asked to be, for `trigger::plan_wave`.
    pub fn wave_spec(&self) -> crate::trigger::WaveSpec {
        crate::trigger::WaveSpec {
            start: self.time(P::Start),
            trigger: self.time(P::Trigger),
            always_on: self.float(P::AlwaysOn),
            windows_au: self.float(P::WindowsAu),
            share: self.float(P::WaveShare),
            bunching: self.flag(P::Bunching),
            hits_sn: self.flag(P::WaveHitsSn),
            restart_rate: self.float(P::RestartRate),
        }
    }

    /// Whether anything happens at the trigger time: a wave, a crash,
    /// supernodes taken down, or the operator's mega-supernodes.
    pub fn has_trigger(&self) -> bool {
        self.flag(P::Wave) || self.flag(P::Crash) || self.float(P::SnDown) > 0.0 || self.float(P::MegaCount) > 0.0
    }

    /// Checks that hold between parameters.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let conflict = |p: P, reason: String| ScenarioError::Conflict {
            key: params::param(p).key.into(),
            value: self.value_text(p),
            reason,
        };
        let start = self.time(P::Start);
        let end = start + self.int(P::Hours) * 3_600;
        let trigger = self.time(P::Trigger);
        if self.has_trigger() {
            let earliest = start + 3_600;
            let most = params::most_hours();
            // The least whole hours that go past the trigger.
            let least = (trigger - start) / 3_600 + 1;
            if trigger >= earliest && trigger >= end && least <= most {
                // The trigger is where it may be; the run is too short to reach it.
                let after = (trigger - start) as f64 / 3_600.0;
                return Err(conflict(
                    P::Hours,
                    format!(
                        "the run must go past the trigger at {}, {} h after the start; allowed {least} to {most} \
                         (or set an earlier trigger)",
                        crate::time::format_utc(trigger),
                        libm::round(after * 100.0) / 100.0
                    ),
                ));
            }
            if trigger < earliest || trigger >= end {
                // No run can go past this trigger: it falls in the first hour
                // (or before the start), or beyond what the longest run
                // reaches. The window shown is this run's, unless this run is
                // too short to hold any trigger (hours=1) or the trigger lies
                // beyond it: then the longest run's.
                let reach = start + most * 3_600;
                let window = if end <= earliest || least > most {
                    format!("and the end of the longest run ({}, after {most} h)", crate::time::format_utc(reach))
                } else {
                    format!("and the end of the run ({})", crate::time::format_utc(end))
                };
                let also = if end <= earliest { "; hours must then be at least 2" } else { "" };
                return Err(conflict(
                    P::Trigger,
                    format!(
                        "the trigger must fall between one hour after the start ({}) {window}{also}",
                        crate::time::format_utc(earliest)
                    ),
                ));
            }
        }
        self.check_values()?;
        self.check_interventions()
    }

    /// Each intervention falls within the run, and the values it leaves
    /// pass the checks between parameters that hold at the start.
    fn check_interventions(&self) -> Result<(), ScenarioError> {
        let hours = self.int(P::Hours);
        let mut values = self.without_interventions();
        for iv in &self.interventions {
            let bad = |reason: String| ScenarioError::BadIntervention { value: iv.text(), reason };
            if iv.at_min == 0 || i64::from(iv.at_min) >= hours * 60 {
                return Err(bad(format!(
                    "the time {} must be whole minutes after 0 and before the run's end at {hours}h",
                    intervention::format_time(iv.at_min)
                )));
            }
            if iv.get(P::RestartRate).is_some() && self.flag(P::Wave) && !self.flag(P::Bunching) {
                return Err(bad(
                    "with bunching=false every restart of the wave is planned at its start, so restart_rate \
                     cannot change during the run"
                        .into(),
                ));
            }
            values.apply(iv);
            values.check_values().map_err(|e| bad(format!("after it, {e}")))?;
        }
        Ok(())
    }

    /// The checks between parameters that interventions can change.
    fn check_values(&self) -> Result<(), ScenarioError> {
        let conflict = |p: P, reason: String| ScenarioError::Conflict {
            key: params::param(p).key.into(),
            value: self.value_text(p),
            reason,
        };
        if self.int(P::SnTarget) > self.int(P::SnCapacity) {
            return Err(conflict(
                P::SnTarget,
                format!("the target load must not exceed sn_capacity={}", self.int(P::SnCapacity)),
            ));
        }
        if self.float(P::RetryCapS) < self.float(P::RetryBaseS) {
            return Err(conflict(
                P::RetryCapS,
                format!("the cap must be at least retry_base_s={}", self.value_text(P::RetryBaseS)),
            ));
        }
        if self.flag(P::Wave) && self.float(P::RestartRate) > crate::trigger::max_restart_rate(&self.wave_spec()) {
            let shown = crate::trigger::max_restart_rate_shown(&self.wave_spec());
            return Err(conflict(
                P::RestartRate,
                format!(
                    "with windows_au={} and wave_share={} this wave cannot go faster than {shown} %/h (every patched PC restarting at the earliest moment); allowed 0.01 to {shown}",
                    self.value_text(P::WindowsAu),
                    self.value_text(P::WaveShare)
                ),
            ));
        }
        if self.pick::<SnChoice>(P::SnChoice) == SnChoice::TwoChoices && self.int(P::CacheSize) < 2 {
            return Err(conflict(
                P::CacheSize,
                "with sn_choice=two-choices a client probes two host-cache entries at a time; allowed 2 to 200".into(),
            ));
        }
        Ok(())
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip() {
        for info in PRESETS {
            let s = Scenario::preset(info.preset);
            assert_eq!(s.to_query(), format!("v=4&preset={}", info.key));
            assert_eq!(Scenario::from_query(&s.to_query()).unwrap(), s);
        }
    }

    #[test]
    fn the_issue_example_parses() {
        let s = Scenario::from_query("preset=skype-2007&peers=200000&policy=resilient&seed=7").unwrap();
        assert_eq!(s.int(P::Peers), 200_000);
        assert_eq!(s.policy(), Policy::Resilient);
        assert_eq!(s.pick::<SnChoice>(P::SnChoice), SnChoice::TwoChoices, "the resilient policy's knobs apply");
        assert_eq!(s.to_query(), "v=4&preset=skype-2007&policy=resilient&peers=200000&seed=7");
    }

    #[test]
    fn knobs_mix_with_a_policy() {
        let s = Scenario::from_query("preset=skype-2007&sn_choice=two-choices&policy=legacy-2007").unwrap();
        assert_eq!(s.pick::<SnChoice>(P::SnChoice), SnChoice::TwoChoices);
        assert_eq!(s.to_query(), "v=4&preset=skype-2007&sn_choice=two-choices");
    }

    #[test]
    fn a_format_1_link_keeps_the_values_it_was_made_with() {
        let old = "&login_capacity=60&sn_attempt_capacity=3&attach_timeout_s=10&sn_refusal_cost=1";
        let v1 = Scenario::from_query("v=1&preset=skype-2007&seed=3").unwrap();
        assert_eq!(v1, Scenario::from_query(&format!("v=2&preset=skype-2007&seed=3{old}&promote_rate=0.25")).unwrap());
        assert_ne!(v1, Scenario::from_query("v=2&preset=skype-2007&seed=3").unwrap());
        // Its canonical link is of format 2, whose engine it replays, and names the old values.
        assert_eq!(
            v1.to_query(),
            "v=2&preset=skype-2007&seed=3&sn_attempt_capacity=3&sn_refusal_cost=1&attach_timeout_s=10\
             &login_capacity=60&promote_rate=0.25"
        );
        // A key the link gives wins; other policies keep their own promotion rate.
        let v1 = Scenario::from_query("v=1&preset=skype-2007&login_capacity=30&policy=resilient").unwrap();
        assert_eq!(v1.float(P::LoginCapacity), 30.0);
        assert_eq!(v1.float(P::SnAttemptCapacity), 3.0);
        assert_eq!(v1.float(P::PromoteRate), 200.0);
        // The same for the presets built on the 2007 world.
        let v1 = Scenario::from_query("v=1&preset=resilient-2007&policy=legacy-2007").unwrap();
        assert_eq!(v1.float(P::PromoteRate), 0.25);
        assert_eq!(v1.float(P::AttachTimeoutS), 10.0);
        assert_eq!(
            Scenario::from_query("v=1&preset=calm-day").unwrap(),
            Scenario::from_query(&format!("v=2&preset=calm-day{old}&promote_rate=0.25")).unwrap()
        );
        // skype-2010 overrides every changed key itself, so only the format differs.
        assert_eq!(
            Scenario::from_query("v=1&preset=skype-2010").unwrap(),
            Scenario::from_query("v=2&preset=skype-2010").unwrap()
        );
    }

    #[test]
    fn a_link_keeps_its_format() {
        // Format 2 links keep the login servers' old count of failed
        // clients, so they are written back as format 2 with the same values.
        let v2 = Scenario::from_query("v=2&preset=skype-2007&seed=3").unwrap();
        assert_eq!(v2.format(), 2);
        assert_eq!(v2.to_query(), "v=2&preset=skype-2007&seed=3");
        assert_eq!(Scenario::from_query(&v2.to_query()).unwrap(), v2);
        assert_eq!(v2.to_json()["v"], 2);
        let mut changed = v2.clone();
        changed.set("peers", "20000").unwrap();
        assert_eq!(changed.to_query(), "v=2&preset=skype-2007&peers=20000&seed=3");
        // Without v, and for a preset's own scenario, this build's format.
        let now = Scenario::from_query("preset=skype-2007&seed=3").unwrap();
        assert_eq!(now.format(), FORMAT_VERSION);
        assert_eq!(Scenario::preset(Preset::Skype2007).format(), FORMAT_VERSION);
        assert_eq!(now.to_query(), format!("v={FORMAT_VERSION}&preset=skype-2007&seed=3"));
        assert_ne!(now, v2);
        assert_eq!(Scenario::from_query("v=1&preset=skype-2007").unwrap().format(), 2);
        let e = Scenario::from_query("v=5&preset=skype-2007").unwrap_err().to_string();
        assert!(e.contains("v=5") && e.contains("from 1 to 4"), "{e}");
        // Format 3 runs as format 4, and is written back as format 3.
        let v3 = Scenario::from_query("v=3&preset=skype-2007&seed=3").unwrap();
        assert_eq!(v3.to_query(), "v=3&preset=skype-2007&seed=3");
    }

    #[test]
    fn bad_input_names_key_value_and_range() {
        let e = Scenario::from_query("peers=5").unwrap_err().to_string();
        assert!(e.contains("peers=5") && e.contains("1000") && e.contains("25000000"), "{e}");
        let e = Scenario::from_query("nonsense=1").unwrap_err().to_string();
        assert!(e.contains("nonsense"), "{e}");
        let e = Scenario::from_query("policy=magic").unwrap_err().to_string();
        assert!(e.contains("policy=magic") && e.contains("resilient"), "{e}");
        assert!(matches!(Scenario::from_query("peers"), Err(ScenarioError::Malformed { .. })));
        assert!(matches!(Scenario::from_query("seed=1&seed=2"), Err(ScenarioError::Duplicate { .. })));
        assert!(matches!(Scenario::from_query("v=9"), Err(ScenarioError::BadValue { .. })));
        let e = Scenario::from_query("trigger=2001-01-01T00:00Z").unwrap_err().to_string();
        assert!(e.starts_with("trigger=2001-01-01T00:00Z"), "{e}");
    }

    #[test]
    fn a_run_too_short_for_its_trigger_names_hours_and_the_least_that_reaches_it() {
        // skype-2007 starts at 00:00 UTC and its patches are out at 16:00.
        let e = Scenario::from_query("preset=skype-2007&hours=10").unwrap_err().to_string();
        assert!(e.starts_with("hours=10 is not allowed"), "{e}");
        assert!(e.contains("2007-08-15T16:00Z, 16 h after the start; allowed 17 to 336"), "{e}");
        assert!(Scenario::from_query("preset=skype-2007&hours=17").is_ok());
        // A trigger too early is still the trigger's fault.
        let e = Scenario::from_query("preset=skype-2007&trigger=2007-08-15T00:30Z").unwrap_err().to_string();
        assert!(e.starts_with("trigger=2007-08-15T00:30Z is not allowed"), "{e}");
        // Nothing to reach without a trigger.
        assert!(Scenario::from_query("preset=calm-day&hours=1").is_ok());
        // A trigger off the hour is shown to the hundredth, and 17 h reach 16:20 as 16 do not.
        let e = Scenario::from_query("preset=skype-2007&trigger=2007-08-15T16:20Z&hours=16").unwrap_err().to_string();
        assert!(e.contains("16.33 h after the start; allowed 17 to 336"), "{e}");
        assert!(Scenario::from_query("preset=skype-2007&trigger=2007-08-15T16:20Z&hours=17").is_ok());
        // No run can be long enough: the trigger is at fault.
        let e = Scenario::from_query("preset=skype-2007&trigger=2007-09-30T00:00Z").unwrap_err().to_string();
        assert!(e.starts_with("trigger=2007-09-30T00:00Z is not allowed"), "{e}");
        // ... and the message names the reach of the longest run, not this one's end.
        assert!(e.contains("and the end of the longest run (2007-08-29T00:00Z, after 336 h)"), "{e}");
        // A trigger within this run's reach but before its first hour names this run's end.
        let e = Scenario::from_query("preset=skype-2007&trigger=2007-08-15T00:30Z").unwrap_err().to_string();
        assert!(e.contains("(2007-08-15T01:00Z) and the end of the run (2007-08-19T00:00Z)"), "{e}");
        // One hour is too short for this preset's trigger: hours is at fault.
        let e = Scenario::from_query("preset=skype-2007&hours=1").unwrap_err().to_string();
        assert!(e.starts_with("hours=1 is not allowed") && e.contains("allowed 17 to 336"), "{e}");
        // One hour is too short for any trigger, and this one no run reaches:
        // one message says both, so a second attempt does not fail again.
        for trigger in ["2007-08-15T00:30Z", "2007-09-30T00:00Z"] {
            let e =
                Scenario::from_query(&format!("preset=skype-2007&hours=1&trigger={trigger}")).unwrap_err().to_string();
            assert!(e.starts_with(&format!("trigger={trigger} is not allowed")), "{e}");
            assert!(e.contains("end of the longest run") && e.ends_with("hours must then be at least 2"), "{e}");
        }
    }

    #[test]
    fn times_survive_encoding() {
        let s = Scenario::from_query("trigger=2007-08-15T18%3A30Z").unwrap();
        assert_eq!(s.value_text(P::Trigger), "2007-08-15T18:30Z");
        assert_eq!(Scenario::from_query(&s.to_query()).unwrap(), s);
    }
}
