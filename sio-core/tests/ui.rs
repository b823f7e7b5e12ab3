//! Compile-time errors of the DSL, each on the user's token with a message that names the fix,
//! and every supported form compiling. The `.stderr` files are compared on the installed
//! compiler, and belong to rustc 1.95 (see tests/ui/README.md); regenerate them with
//! `TRYBUILD=overwrite cargo test -p sio-core --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
