//! The replayable form of a counterexample: a short versioned string naming
//! the model (a hash of its IR), the scenario and the index of the transition
//! taken at each step, e.g. `leash1:9f86d081884c7d65:cancel:1.0.0~2.1`
//! (`~` starts the cycle of a no-exit). A changed model has another hash, so
//! an old string is refused instead of replaying a wrong trace.

use leash_ir::Program;
use leash_semantics::Scenario;
use std::hash::Hasher;

/// The version prefix of the current encoding.
pub const PREFIX: &str = "leash1";

/// A decoded replay string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayCode {
    /// Hash of the model's IR.
    pub model: u64,
    /// The scenario the path lives in.
    pub scenario: Scenario,
    /// Transition indices from the initial state.
    pub path: Vec<u16>,
    /// Transition indices of the cycle after the path (empty if none).
    pub cycle: Vec<u16>,
}

/// A stable hash of the model: of its IR's text form.
pub fn model_hash(p: &Program) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(leash_ir::pretty(p).as_bytes());
    h.finish()
}

fn list(xs: &[u16]) -> String {
    xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(".")
}

impl std::fmt::Display for ReplayCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PREFIX}:{:016x}:{}:{}", self.model, self.scenario.name(), list(&self.path))?;
        if !self.cycle.is_empty() {
            write!(f, "~{}", list(&self.cycle))?;
        }
        Ok(())
    }
}

fn parse_list(s: &str) -> Result<Vec<u16>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split('.').map(|x| x.parse::<u16>().map_err(|_| format!("`{x}` is not a step index"))).collect()
}

impl std::str::FromStr for ReplayCode {
    type Err = String;

    fn from_str(s: &str) -> Result<ReplayCode, String> {
        let mut parts = s.trim().splitn(4, ':');
        let (Some(prefix), Some(hash), Some(scenario), Some(steps)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("a trace looks like `leash1:HASH:SCENARIO:STEPS`".into());
        };
        if prefix != PREFIX {
            return Err(format!("unknown trace version `{prefix}` (this leash reads `{PREFIX}`)"));
        }
        let model = u64::from_str_radix(hash, 16).map_err(|_| format!("`{hash}` is not a model hash"))?;
        let scenario =
            Scenario::from_name(scenario).ok_or_else(|| format!("unknown scenario `{scenario}`"))?;
        let (path, cycle) = steps.split_once('~').unwrap_or((steps, ""));
        Ok(ReplayCode { model, scenario, path: parse_list(path)?, cycle: parse_list(cycle)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scenario() -> impl Strategy<Value = Scenario> {
        prop::sample::select(Scenario::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn round_trips(model in any::<u64>(), scenario in scenario(),
                       path in prop::collection::vec(any::<u16>(), 0..40),
                       cycle in prop::collection::vec(any::<u16>(), 0..10)) {
            let code = ReplayCode { model, scenario, path, cycle };
            let text = code.to_string();
            prop_assert_eq!(text.parse::<ReplayCode>(), Ok(code));
        }

        #[test]
        fn never_panics_on_garbage(s in ".{0,60}") {
            let _ = s.parse::<ReplayCode>();
        }
    }

    #[test]
    fn refuses_other_versions() {
        assert!("leash0:00:cancel:1".parse::<ReplayCode>().is_err());
        assert!("leash1:zz:cancel:1".parse::<ReplayCode>().is_err());
        assert!("leash1:00:sunny:1".parse::<ReplayCode>().is_err());
    }
}
