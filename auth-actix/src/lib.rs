//! placeholder

pub mod csrf;
