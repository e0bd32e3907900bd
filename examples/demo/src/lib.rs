//! The demo application of Symphony Messenger. Its message types and transports are declared in
//! `schema/V1__message_types.sql`, the outbox its worker writes in `schema/V3__outbox.sql`;
//! `messenger-gen generate` turned them into `generated/rust/messages.rs`, included here as
//! [`messages`] — the way any application includes its generated module.

#[path = "../generated/rust/messages.rs"]
pub mod messages;
