//! badgateway: run real nginx against fake upstreams that misbehave on purpose, and check that
//! the broken config fails the way real nginx fails and that the prescribed fix works.
pub mod load;
pub mod outcome;
