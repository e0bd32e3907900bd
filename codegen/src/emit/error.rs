//! Why the IR cannot be emitted. A leaf module: every emitter returns it, none imports another
//! emitter or `emit/mod.rs` for it.

use messenger_ir::{PAYLOAD_SCHEMA, Transport};

use crate::contract::ConstraintError;
use crate::write::DuplicatePath;

/// Why the IR cannot be emitted: names that cannot become identifiers or files, declarations
/// that refer to nothing, constraints no target can hold.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EmitError {
    /// Two SQL names become the same identifier of a target.
    #[error("{first} and {second} both become the {target} `{name}`; rename one of them")]
    #[diagnostic(code(messenger_gen::emit::name_collision))]
    NameCollision {
        /// What took the name first (`message type `a_b``).
        first: String,
        /// What wanted it next.
        second: String,
        /// What kind of identifier (`TypeScript name`, `Rust field`).
        target: &'static str,
        /// The identifier.
        name: String,
    },
    /// A SQL name with nothing to make an identifier from.
    #[error("{what} has no letter or digit to make a {target} from; rename it")]
    #[diagnostic(code(messenger_gen::emit::no_identifier))]
    NoIdentifier {
        /// What is named (`column `m.???``).
        what: String,
        /// What kind of identifier.
        target: &'static str,
    },
    /// A column whose type and CHECKs do not fold into constraints.
    #[error("{place}: {source}")]
    #[diagnostic(code(messenger_gen::emit::constraint))]
    Column {
        /// `schema.relation.column`.
        place: String,
        /// Why.
        source: ConstraintError,
    },
    /// A transport accepting a message type that is not declared.
    #[error(
        "transport `{transport}` accepts `{message_type}`, which is not a message type (no \
         table {PAYLOAD_SCHEMA}.{message_type})"
    )]
    #[diagnostic(code(messenger_gen::emit::unknown_message_type))]
    UnknownMessageType {
        /// The transport.
        transport: String,
        /// The name it lists.
        message_type: String,
    },
    /// A name that a target uses for something else.
    #[error("the {what} name `{name}` is reserved: {why}")]
    #[diagnostic(code(messenger_gen::emit::reserved_name))]
    Reserved {
        /// What is named (`message type`).
        what: &'static str,
        /// The name.
        name: String,
        /// What the target uses it for.
        why: &'static str,
    },
    /// A name that cannot be a file name.
    #[error("the {what} name {name:?} cannot be used as a file name")]
    #[diagnostic(code(messenger_gen::emit::file_name))]
    FileName {
        /// What is named.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A target cannot express the column (a Rust enum without values, a nested array).
    #[error("{place}: {reason}")]
    #[diagnostic(code(messenger_gen::emit::unsupported))]
    Unsupported {
        /// `schema.relation.column`.
        place: String,
        /// What the target cannot do.
        reason: String,
    },
    /// Two emitted files with one path (a generator bug).
    #[error(transparent)]
    #[diagnostic(code(messenger_gen::emit::duplicate_path))]
    DuplicatePath(#[from] DuplicatePath),
}

impl EmitError {
    /// A [`EmitError::Column`] for `schema.relation.column`.
    pub fn column(
        schema: &str,
        relation: &str,
        column: &str,
        source: ConstraintError,
    ) -> EmitError {
        EmitError::Column {
            place: place(schema, relation, column),
            source,
        }
    }

    /// An [`EmitError::UnknownMessageType`]: `transport` accepts `message_type`, which the
    /// catalog does not declare.
    pub fn unknown_message_type(transport: &Transport, message_type: &str) -> EmitError {
        EmitError::UnknownMessageType {
            transport: transport.name.clone(),
            message_type: message_type.to_owned(),
        }
    }

    /// An [`EmitError::Unsupported`] for `schema.relation.column`.
    pub fn unsupported(schema: &str, relation: &str, column: &str, reason: String) -> EmitError {
        EmitError::Unsupported {
            place: place(schema, relation, column),
            reason,
        }
    }
}

/// `schema.relation.column`: where a column is, in every message.
pub fn place(schema: &str, relation: &str, column: &str) -> String {
    format!("{schema}.{relation}.{column}")
}
