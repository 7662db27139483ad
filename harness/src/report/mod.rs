//! Rendering a [`crate::result::RunResult`]: the terminal summary and the JSON dump. Only code
//! in this module writes report files.

pub mod json;
pub mod terminal;
