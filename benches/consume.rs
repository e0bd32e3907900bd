//! Placeholder: the consume benchmark is written later in this branch.
fn main() {}
