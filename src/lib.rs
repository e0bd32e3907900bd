//! Symphony Messenger: a message queue that lives in PostgreSQL.
//!
//! The SQL schema in `schema/` is the single source of truth. This crate is the runtime:
//! [`migrate`] applies, rolls back, reports and verifies that schema.

pub mod migrate;
