//! Change epochs (migration 0006): counters the database bumps, by trigger, whenever data a
//! server process caches changes, and PostgreSQL's notification of each bump.

use sea_query::{Expr, ExprTrait, Query};

use super::schema::ChangeEpochs;
use super::{Db, Pool};

/// The topic of everything a caller is made of: users, organizations, grants, training.
pub const CALLERS: &str = "callers";

/// The PostgreSQL channel the caller triggers notify, with the new epoch as payload.
pub const CALLERS_CHANNEL: &str = "audit_hub_callers";

/// The topic of the data read queries show: budgets, objects, documents, reference data
/// (migration 0015).
pub const DATA: &str = "data";

/// The PostgreSQL channel the data triggers notify, with the new epoch as payload.
pub const DATA_CHANNEL: &str = "audit_hub_data";

/// The current epoch of `topic`.
pub async fn current(db: &Db, topic: &str) -> Result<i64, sqlx::Error> {
    let q = Query::select()
        .column(ChangeEpochs::Epoch)
        .from(ChangeEpochs::Table)
        .and_where(Expr::col(ChangeEpochs::Topic).eq(topic))
        .to_owned();
    db.scalar_i64(&q).await
}

/// The current epochs of `topics`, in their order (a topic without a row is an error).
pub async fn current_all<const N: usize>(
    db: &Db,
    topics: [&str; N],
) -> Result<[i64; N], sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        topic: String,
        epoch: i64,
    }
    let q = Query::select()
        .columns([ChangeEpochs::Topic, ChangeEpochs::Epoch])
        .from(ChangeEpochs::Table)
        .and_where(Expr::col(ChangeEpochs::Topic).is_in(topics))
        .to_owned();
    let rows: Vec<Row> = db.all(&q).await?;
    let mut out = [0; N];
    for (slot, topic) in out.iter_mut().zip(topics) {
        *slot = rows
            .iter()
            .find(|r| r.topic == topic)
            .map(|r| r.epoch)
            .ok_or(sqlx::Error::RowNotFound)?;
    }
    Ok(out)
}

/// Locks `topic`'s epoch row until the transaction ends (PostgreSQL; SQLite's writer lock is
/// already held). Every change to callers bumps this row by trigger, so a step that will change
/// them takes it at a fixed point of its lock order instead of in the middle of its writes.
pub async fn lock(tx: &mut super::Tx, topic: &str) -> Result<(), sqlx::Error> {
    let q = Query::select()
        .column(ChangeEpochs::Epoch)
        .from(ChangeEpochs::Table)
        .and_where(Expr::col(ChangeEpochs::Topic).eq(topic))
        .lock(sea_query::LockType::Update)
        .to_owned();
    tx.scalar_i64(&q).await.map(|_| ())
}

/// A subscription to a notification channel (PostgreSQL only).
pub struct Listener(sqlx::postgres::PgListener);

/// What waiting on a [`Listener`] gave.
pub enum Heard {
    /// A notification with its payload.
    Payload(String),
    /// The connection was lost: notifications in between are gone.
    Lost,
    /// The pool was closed: the server is stopping.
    Closed,
}

impl Listener {
    /// Subscribes to `channel`; `Ok(None)` on SQLite, which has no notifications.
    ///
    /// The subscription holds a connection of its own, made with the pool's options, so that it
    /// never takes one of the connections requests are served with.
    pub async fn subscribe(db: &Db, channel: &str) -> Result<Option<Listener>, sqlx::Error> {
        let Pool::Postgres(pool) = &db.pool else {
            return Ok(None);
        };
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_with((*pool.connect_options()).clone())
            .await?;
        let mut l = sqlx::postgres::PgListener::connect_with(&own).await?;
        l.listen(channel).await?;
        Ok(Some(Listener(l)))
    }

    /// Waits for the next notification.
    pub async fn next(&mut self) -> Heard {
        match self.0.try_recv().await {
            Ok(Some(n)) => Heard::Payload(n.payload().to_owned()),
            Ok(None) => Heard::Lost,
            Err(sqlx::Error::PoolClosed) => Heard::Closed,
            Err(e) => {
                tracing::warn!(error = %e, "notification connection failed");
                Heard::Lost
            }
        }
    }
}
