//! The macros' compile-time behaviour: what compiles (both orders with actix's
//! route attributes, every list form) and each mistake's message.
//! Cases live in auth-macros/tests/ui; they run from here because a
//! proc-macro crate cannot depend on the facade it generates code for.
//!
//! trybuild builds every dependency a second time, in its own project (about
//! two minutes on two cores the first time), so the cases run with the
//! `ui-tests` feature (CI's `--all-features` run turns it on) and print a
//! `SKIPPED` line otherwise.

#[cfg(feature = "ui-tests")]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("../auth-macros/tests/ui/pass/*.rs");
    cases.compile_fail("../auth-macros/tests/ui/fail/*.rs");
    // A wrong class's message lists the classes that do implement the trait,
    // and the families add theirs: these cases have one expected output
    // without any family and one with all of them (CI's `--all-features`);
    // other mixes of features skip them.
    let families = [
        cfg!(feature = "knox"),
        cfg!(feature = "durin"),
        cfg!(feature = "jwt"),
        cfg!(feature = "oauth2"),
    ];
    if families.iter().all(|&on| !on) {
        cases.compile_fail("../auth-macros/tests/ui/classes/core/*.rs");
    } else if families.iter().all(|&on| on) {
        cases.compile_fail("../auth-macros/tests/ui/classes/families/*.rs");
    }
}

#[cfg(not(feature = "ui-tests"))]
#[test]
fn ui() {
    use std::io::Write as _;
    // Past the harness's capture of passing tests' output.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: the macros' compile-fail cases (they build the dependencies again, about two \
         minutes the first time; run `cargo test -p auth-actix --features ui-tests --test \
         macros_ui`, as CI's all-features run does)"
    );
}
