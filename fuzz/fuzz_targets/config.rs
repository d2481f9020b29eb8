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
    // An accepted layer must be one the typed config takes.
    if problems.is_empty()
        && let Value::Object(_) = value
    {
        let mut merged = serde_json::to_value(sce::config::Config::default()).unwrap();
        merge(&mut merged, &value);
        serde_json::from_value::<sce::config::Config>(merged).expect("a layer without problems deserialises");
    }
});

fn merge(base: &mut Value, layer: &Value) {
    match (base, layer) {
        (Value::Object(base), Value::Object(layer)) => {
            for (key, value) in layer {
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, layer) => *base = layer.clone(),
    }
}
