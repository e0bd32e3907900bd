//! The demo application's generated module (`examples/demo/generated/rust/messages.rs`), which
//! the runtime's tests dispatch with: the runtime itself compiles in no message type.

use messenger_test_support::TestDb;
use symphony_messenger::dispatch::Messenger;

#[path = "../../examples/demo/generated/rust/messages.rs"]
pub mod messages;

/// A fresh database with the queue's and the demo's migrations applied, a messenger for the
/// demo's transports on a pool of `pool_size`, and a plain client.
#[allow(dead_code)] // not every test crate that includes this module dispatches
pub async fn migrated(pool_size: usize) -> (TestDb, Messenger, tokio_postgres::Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    symphony_messenger::migrate::up(&mut client, Some(&messages::migrations().unwrap()))
        .await
        .unwrap();
    let messenger = Messenger::new(db.pool(pool_size), messages::registry());
    (db, messenger, client)
}
