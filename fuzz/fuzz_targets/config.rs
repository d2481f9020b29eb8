//! Arbitrary bytes as a config layer: schema validation and the cross-field
//! rules never panic on any JSON value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let schema = sce::config::validate_value(&value);
    let problems = sce::config::problems_of(&value);
    // problems_of starts from the schema problems and adds the typed rules only when there are none.
    assert!(problems.len() >= schema.len());
    assert_eq!(problems[..schema.len()], schema[..]);
    for problem in &problems {
        assert!(!problem.is_empty());
    }
});
