//! Fuzz target: arbitrary bytes as a state file and as a plan file, through the strict
//! decoders `strata` reads them with. A refused file's diagnostic is rendered with its
//! snippet, as the CLI prints it. A file that decodes must survive a round trip:
//! encoded again, it decodes to the same value, and encodes to the same bytes.
//! Invariant: any input is either a value or a diagnostic; a panic or a crash is a bug.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use strata_fuzz::render;
use strata_state::{PlanFile, State, StateFile, planfile};

fuzz_target!(|data: &[u8]| {
    let width = 30 + data.len() % 90;
    let origin = Path::new("/fuzz/.strata/dev.state.json");
    match State::decode(data, origin, "dev") {
        Ok(state) => {
            let bytes = encode_state(&state);
            let again = State::decode(&bytes, origin, "dev")
                .unwrap_or_else(|e| panic!("a re-encoded state does not decode: {e}"));
            assert_eq!(again, state, "the state changed in a round trip");
            assert_eq!(encode_state(&again), bytes, "encoding is not a fixed point");
        }
        Err(e) => {
            let _ = render(&e, width);
        }
    }
    let origin = Path::new("/fuzz/plan.json");
    match planfile::decode(data, origin) {
        Ok(plan) => {
            let bytes = encode_plan(&plan);
            let again = planfile::decode(&bytes, origin)
                .unwrap_or_else(|e| panic!("a re-encoded plan does not decode: {e}"));
            assert_eq!(again, plan, "the plan changed in a round trip");
            assert_eq!(encode_plan(&again), bytes, "encoding is not a fixed point");
        }
        Err(e) => {
            let _ = render(&e, width);
        }
    }
});

fn encode_state(state: &State) -> Vec<u8> {
    let mut bytes = Vec::new();
    state.encode(&mut bytes).expect("encoding into memory");
    bytes
}

fn encode_plan(plan: &PlanFile) -> Vec<u8> {
    let mut bytes = Vec::new();
    planfile::encode(plan, &mut bytes).expect("encoding into memory");
    bytes
}
