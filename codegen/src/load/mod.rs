//! Reading the inputs: annotated query files (enough of cornucopia's syntax for our lints).

pub mod queries;
