//! Compile-time checks of `supervision_tree!`: one file per rule under `tests/ui/fail`, each with
//! its reviewed `.stderr`, and trees that must compile under `tests/ui/pass`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
