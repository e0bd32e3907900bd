//! The payload contract (`emit/CONTRACT.md`) in target-neutral form: the patterns every target
//! uses, what a column's values are once its type and CHECKs are folded ([`Constraints`]), and
//! how a field is present in a payload ([`Presence`]). The emitters render these; none of them
//! decides a rule of its own, and none imports another.

mod constraints;
pub mod patterns;

pub use constraints::{Bound, ConstraintError, Constraints, Format, Kind, Nesting};

use messenger_ir::{Column, Identity};

/// How a field may appear in a payload (CONTRACT.md "Objects": a payload is read as an INSERT
/// into its table, which PostgreSQL, the oracle, performs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// NOT NULL without DEFAULT: required.
    Required,
    /// NOT NULL with DEFAULT (or a `BY DEFAULT` identity): may be left out, never null.
    Defaulted,
    /// Nullable: may be left out or null.
    Nullable,
    /// `GENERATED ALWAYS` (identity or expression): PostgreSQL refuses any value.
    Absent,
}

impl Presence {
    /// The presence of `column`'s field.
    pub fn of(column: &Column) -> Presence {
        if column.always_generated() {
            Presence::Absent
        } else if column.nullable {
            Presence::Nullable
        } else if column.default.is_some() || column.identity == Some(Identity::ByDefault) {
            Presence::Defaulted
        } else {
            Presence::Required
        }
    }
}

#[cfg(test)]
mod tests {
    use messenger_ir::{Column, Identity, SqlType};

    use super::Presence;

    #[test]
    fn presence_follows_nullability_defaults_and_generation() {
        let column = |nullable: bool, default: Option<&str>, identity, generated| Column {
            name: "c".to_owned(),
            ty: SqlType::Int4,
            nullable,
            default: default.map(str::to_owned),
            default_value: None,
            identity,
            generated,
            comment: None,
            checks: Vec::new(),
        };
        let of = |c: Column| Presence::of(&c);
        assert_eq!(of(column(false, None, None, false)), Presence::Required);
        assert_eq!(
            of(column(false, Some("1"), None, false)),
            Presence::Defaulted
        );
        assert_eq!(of(column(true, Some("1"), None, false)), Presence::Nullable);
        let by_default = Some(Identity::ByDefault);
        assert_eq!(
            of(column(false, None, by_default, false)),
            Presence::Defaulted
        );
        let always = Some(Identity::Always);
        assert_eq!(of(column(true, None, always, false)), Presence::Absent);
        assert_eq!(
            of(column(false, Some("2 * 1"), None, true)),
            Presence::Absent
        );
    }
}
