//! Every query of `queries/*.sql`, through the generated crate `messenger-queries`, against a real
//! PostgreSQL with the V1 schema applied: one module per query file (`consume.rs` tests
//! `queries/consume.sql`, ...), the shared steps in `support.rs`. Each test gets its own
//! database.
//!
//! This crate has no `chrono` or `serde_json` dependency, so it cannot name the types the
//! generated API uses for `timestamptz` and `jsonb`:
//! * timestamps are produced by the server ([`support::db_time`]) and their Rust type is inferred from the
//!   generated signature they are passed to; comparisons against stored values are done in SQL;
//! * jsonb parameters are `Json<BTreeMap<..>>` values (the generated `JsonSql` accepts any
//!   `Json<T: Serialize>`), and returned `serde_json::Value`s are checked by indexing
//!   (`body["n"] == 1`) or compared with each other.

mod consume;
mod dead_letters;
mod dispatch;
mod maintenance;
mod schedules;
mod support;
mod transports;
