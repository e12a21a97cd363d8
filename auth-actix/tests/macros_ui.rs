//! The macros' compile-time behaviour: what compiles (both orders with actix's
//! route attributes, every list form) and each mistake's message.
//! Cases live in auth-macros/tests/ui; they run from here because a
//! proc-macro crate cannot depend on the facade it generates code for.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("../auth-macros/tests/ui/pass/*.rs");
    cases.compile_fail("../auth-macros/tests/ui/fail/*.rs");
}
