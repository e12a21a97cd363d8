//! DRF's serializers, as far as the views need them: the fields' validation
//! rules and messages ([`fields`]), over the values of `request.data`
//! ([`crate::parsers`]). Output goes through [`crate::render`].

pub mod fields;
