//! Verification: which of the objects the schema promises are present in a database.

use tokio_postgres::Client;

/// The kind of a schema object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// A type (the status enum).
    Type,
    /// A table.
    Table,
    /// A column, named `table.column`.
    Column,
    /// A sequence.
    Sequence,
    /// An index (including UNIQUE indexes).
    Index,
    /// A view.
    View,
    /// A function taking no arguments (trigger functions).
    Function,
    /// A trigger.
    Trigger,
    /// Row level security being enabled on the table of this name.
    RowLevelSecurity,
}

impl ObjectKind {
    /// The lowercase word used in reports and in the verification query.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Type => "type",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Index => "index",
            ObjectKind::View => "view",
            ObjectKind::Function => "function",
            ObjectKind::Trigger => "trigger",
            ObjectKind::RowLevelSecurity => "row level security",
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An object the schema must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedObject {
    /// What kind of object.
    pub kind: ObjectKind,
    /// Its name (for row level security: the table's name).
    pub name: &'static str,
}

const fn object(kind: ObjectKind, name: &'static str) -> ExpectedObject {
    ExpectedObject { kind, name }
}

/// The tables of the Symphony Messenger schema.
pub const TABLES: [&str; 4] = [
    "messenger_messages",
    "messenger_failed_messages",
    "messenger_transports",
    "messenger_schedules",
];

const EXPECTED: &[ExpectedObject] = {
    use ObjectKind::*;
    &[
        object(Type, "messenger_message_status"),
        object(Table, "messenger_messages"),
        object(Table, "messenger_failed_messages"),
        object(Table, "messenger_transports"),
        object(Table, "messenger_schedules"),
        object(Column, "messenger_messages.lease_token"),
        object(Sequence, "messenger_lease_token_seq"),
        object(Index, "idx_messenger_messages_dequeue"),
        object(Index, "idx_messenger_messages_lock_expiry"),
        object(Index, "uq_messenger_messages_idempotency"),
        object(Index, "idx_messenger_messages_created_at"),
        object(Index, "idx_messenger_messages_processed_at"),
        object(Index, "idx_messenger_messages_scheduled_at"),
        object(Index, "idx_messenger_messages_status"),
        object(Index, "idx_messenger_failed_messages_transport_failed_at"),
        object(Index, "idx_messenger_failed_messages_message_id"),
        object(Index, "idx_messenger_failed_messages_created_at"),
        object(Index, "uq_messenger_transports_name"),
        object(Index, "idx_messenger_schedules_next_run_at"),
        object(Index, "idx_messenger_schedules_enabled_next_run_at"),
        object(Function, "messenger_set_updated_at"),
        object(Function, "messenger_notify_consumable"),
        object(Trigger, "trg_messenger_messages_updated_at"),
        object(Trigger, "trg_messenger_transports_updated_at"),
        object(Trigger, "trg_messenger_schedules_updated_at"),
        object(Trigger, "trg_messenger_messages_notify"),
        object(View, "messenger_queue_depth"),
        object(View, "messenger_failed_summary"),
        object(View, "messenger_schedules_summary"),
        object(RowLevelSecurity, "messenger_messages"),
        object(RowLevelSecurity, "messenger_failed_messages"),
        object(RowLevelSecurity, "messenger_transports"),
        object(RowLevelSecurity, "messenger_schedules"),
    ]
};

/// Every object the schema must contain, in a stable order.
pub fn expected_objects() -> &'static [ExpectedObject] {
    EXPECTED
}

/// One expected object and whether it is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCheck {
    /// The object.
    pub object: ExpectedObject,
    /// Whether the database has it (for row level security: whether it is enabled).
    pub present: bool,
}

/// Expected versus present objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// One entry per expected object, in the order of [`expected_objects`].
    pub checks: Vec<ObjectCheck>,
}

impl VerifyReport {
    /// The expected objects that are missing.
    pub fn missing(&self) -> Vec<ExpectedObject> {
        self.checks
            .iter()
            .filter(|c| !c.present)
            .map(|c| c.object)
            .collect()
    }

    /// Whether every expected object is present.
    pub fn is_complete(&self) -> bool {
        self.checks.iter().all(|c| c.present)
    }
}

/// Looks every expected object up in `pg_catalog`, resolving names through the search path.
pub async fn verify(client: &Client) -> Result<VerifyReport, tokio_postgres::Error> {
    let kinds: Vec<&str> = EXPECTED.iter().map(|o| o.kind.as_str()).collect();
    let names: Vec<&str> = EXPECTED.iter().map(|o| o.name).collect();
    let rows = client
        .query(
            "SELECT CASE t.kind
                 WHEN 'type' THEN to_regtype(t.name) IS NOT NULL
                 WHEN 'table' THEN EXISTS (SELECT 1 FROM pg_class c
                     WHERE c.oid = to_regclass(t.name) AND c.relkind IN ('r', 'p'))
                 WHEN 'column' THEN EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = to_regclass(split_part(t.name, '.', 1))
                       AND a.attname = split_part(t.name, '.', 2) AND NOT a.attisdropped)
                 WHEN 'sequence' THEN EXISTS (SELECT 1 FROM pg_class c
                     WHERE c.oid = to_regclass(t.name) AND c.relkind = 'S')
                 WHEN 'index' THEN EXISTS (SELECT 1 FROM pg_class c
                     WHERE c.oid = to_regclass(t.name) AND c.relkind = 'i')
                 WHEN 'view' THEN EXISTS (SELECT 1 FROM pg_class c
                     WHERE c.oid = to_regclass(t.name) AND c.relkind = 'v')
                 WHEN 'function' THEN to_regprocedure(t.name || '()') IS NOT NULL
                 WHEN 'trigger' THEN EXISTS (SELECT 1 FROM pg_trigger g
                     JOIN pg_class c ON c.oid = g.tgrelid
                     WHERE g.tgname = t.name AND NOT g.tgisinternal
                       AND pg_table_is_visible(c.oid))
                 WHEN 'row level security' THEN EXISTS (SELECT 1 FROM pg_class c
                     WHERE c.oid = to_regclass(t.name) AND c.relrowsecurity)
             END
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(kind, name, n)
             ORDER BY t.n",
            &[&kinds, &names],
        )
        .await?;
    let checks = EXPECTED
        .iter()
        .zip(rows)
        .map(|(object, row)| ObjectCheck {
            object: *object,
            present: row.get(0),
        })
        .collect();
    Ok(VerifyReport { checks })
}
