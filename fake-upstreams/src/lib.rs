//! Fake upstream servers that misbehave on purpose.
pub mod body;
