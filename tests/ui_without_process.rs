//! The one compile-time rule that needs the facade built without a feature: a `process(..)`
//! node without the feature `process` is one error at the node (S20). `cargo test --test
//! ui_without_process`, without features, as CI runs it; built with the feature, this file has
//! no test (CI's other runs enable every feature).

#![cfg(not(feature = "process"))]

#[test]
fn ui_without_process() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/without_process/*.rs");
}
