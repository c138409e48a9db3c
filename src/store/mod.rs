//! Repositories over SQLite or PostgreSQL, chosen by the database URL.
//!
//! SQL is built once with sea-query and rendered per dialect; rows decode through the same
//! `FromRow` types on both backends. Every read of scoped data takes the caller's [`Scope`].
//!
//! [`Scope`]: crate::authz::Scope

pub mod applications;
pub mod audit;
pub mod breaker;
pub mod budget;
pub mod bulk;
pub mod calendar;
pub mod challenges;
pub mod classification;
pub mod contents;
pub mod documents;
pub mod epoch_watch;
pub mod epochs;
pub mod filter;
pub mod grants;
mod hot;
pub mod memberships;
pub mod memo;
pub mod object_register;
pub mod objects;
pub mod orgs;
pub mod page;
pub mod people;
pub mod policies;
pub mod positional;
pub mod reference;
pub mod register;
pub mod render;
pub mod replication;
pub mod rollup;
pub mod row;
pub mod schema;
pub mod seed;
pub mod territories;
pub mod text;
pub mod tokens;
pub mod trainings;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, SelectStatement, SqliteQueryBuilder};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, SqlSafeStr, Sqlite, SqlitePool, Transaction};

/// Which SQL dialect a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// Human name, as printed in logs and test output.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Ends the session of `tx` once it idles longer than `after` (at least a second) inside the
/// transaction: PostgreSQL's `idle_in_transaction_session_timeout`, for this transaction only.
/// SQLite has no such setting; there the caller's own idle cut-off is the only one.
pub async fn end_when_idle(tx: &mut Tx, after: std::time::Duration) -> Result<(), sqlx::Error> {
    if tx.backend() != Backend::Postgres {
        return Ok(());
    }
    let ms = after.as_millis().max(1000);
    tx.raw(&format!(
        "SET LOCAL idle_in_transaction_session_timeout = '{ms}ms'"
    ))
    .await
}

/// The kept connections ([`hot`]) of a pool of `max_connections`, with its acquire timeout.
fn kept_for(pool: &Pool, max_connections: u32) -> hot::Hot {
    match pool {
        Pool::Postgres(p) => hot::Hot::new(max_connections, p.options().get_acquire_timeout()),
        // SQLite's connections are never kept (its ping is no round trip to a server).
        Pool::Sqlite(_) => hot::Hot::new(1, Duration::ZERO),
    }
}

/// How long a pooled PostgreSQL connection may sit idle and still be handed out unchecked.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// A handle on the database: a connection pool and a count of statements run (for tests and
/// metrics that check batching).
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    /// PostgreSQL connections kept for the next statement ([`hot`]).
    hot: hot::Hot,
    breaker: breaker::Breaker,
    statements: Arc<AtomicU64>,
    /// Writes committed through this handle (and its clones), audit appends aside.
    writes: Arc<AtomicU64>,
}

/// Rows that decode from both backends.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Runs `$body` on `$self`'s executor ([`dispatch`]) and, when it succeeds, tells `$self` the
/// statement ran to completion (a kept connection: [`hot`]).
macro_rules! run {
    ($self:ident, $ex:ident, $qb:ident => $body:expr) => {{
        let done = dispatch!($self.executor()?, $ex, $qb => $body);
        if done.is_ok() {
            $self.finished();
        }
        done
    }};
}

/// Runs `$body` with `$ex` bound to the concrete executor and `$qb` to its query builder.
macro_rules! dispatch {
    ($target:expr, $ex:ident, $qb:ident => $body:expr) => {
        match $target {
            Executor::Sqlite($ex) => {
                let $qb = SqliteQueryBuilder;
                $body
            }
            Executor::Postgres($ex) => {
                let $qb = PostgresQueryBuilder;
                $body
            }
        }
    };
}

/// Borrowed executor of either backend: a pool or an open transaction.
enum Executor<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

/// Options for opening a database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://path` or `postgres://...`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// Longest one statement may run (`None`: no limit). PostgreSQL enforces it per statement
    /// (`statement_timeout`); SQLite per checkout of a connection from the pool, by a progress
    /// handler that interrupts the statement running when the time is up.
    pub statement_timeout: Option<Duration>,
}

/// Arms a SQLite connection's progress handler to interrupt whatever runs on it after `limit`
/// from now (the checkout); SQLite has no per-statement timeout of its own.
async fn sqlite_deadline(conn: &mut sqlx::SqliteConnection, limit: Duration) -> sqlx::Result<()> {
    let deadline = std::time::Instant::now() + limit;
    // Every 10 000 virtual-machine steps: often enough to stop within milliseconds, rare enough
    // to cost nothing measurable.
    conn.lock_handle()
        .await?
        .set_progress_handler(10_000, move || std::time::Instant::now() < deadline);
    Ok(())
}

impl Db {
    /// Opens a pool for `url`; a SQLite file is created when missing.
    pub async fn connect(opts: &ConnectOptions) -> anyhow::Result<Db> {
        let url = opts.url.as_str();
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let limit = opts.statement_timeout;
            let mut pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections)
                // An in-process database does not hang up: no ping before each statement.
                .test_before_acquire(false)
                .before_acquire(move |conn, _| {
                    Box::pin(async move {
                        // A connection whose COMMIT failed (a full disk: SQLite has rolled the
                        // transaction back itself, and the driver's own ROLLBACK then fails) is
                        // still counted as inside a transaction, and would refuse every BEGIN:
                        // it is discarded rather than handed out.
                        if sqlx::Connection::is_in_transaction(conn) {
                            return Ok(false);
                        }
                        if let Some(limit) = limit {
                            sqlite_deadline(conn, limit).await?;
                        }
                        Ok(true)
                    })
                });
            if let Some(limit) = limit {
                pool = pool.after_connect(move |conn, _| Box::pin(sqlite_deadline(conn, limit)));
            }
            Pool::Sqlite(pool.connect_with(options).await?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut options = PgConnectOptions::from_str(url)?;
            if let Some(limit) = opts.statement_timeout {
                options = options.options([("statement_timeout", limit.as_millis().to_string())]);
            }
            // A request waits for a connection no longer than a statement may run: when the
            // server is down, requests fail fast (UNAVAILABLE) instead of queueing.
            let wait = opts
                .statement_timeout
                .unwrap_or(Duration::from_secs(30))
                .clamp(Duration::from_secs(1), Duration::from_secs(30));
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(wait)
                    // A connection in steady use is not pinged before each statement (a round
                    // trip per statement, a sixth of a small request's database time); one idle
                    // for a while is, since the server may have dropped it meanwhile.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > IDLE_BEFORE_PING {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await?,
            )
        } else {
            anyhow::bail!("database URL must start with sqlite: or postgres: (got `{url}`)");
        };
        Ok(Db {
            hot: kept_for(&pool, opts.max_connections),
            pool,
            breaker: breaker::Breaker::default(),
            statements: Arc::new(AtomicU64::new(0)),
            writes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The backend behind this handle.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations of this backend's dialect.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Statements run through this handle (and its clones) so far.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Whether `other` is this handle or a clone of it (the same pool, or its background twin),
    /// rather than a handle on another database such as a replica.
    pub fn same_pool(&self, other: &Db) -> bool {
        Arc::ptr_eq(&self.writes, &other.writes)
    }

    /// Write transactions (and autocommit writes) committed through this handle and its clones
    /// so far, not counting audit appends: caches of this process compare it to notice their own
    /// process's writes without waiting for a notification.
    pub fn write_count(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// The same pool with a statement count of its own, for background tasks (the caller-epoch
    /// re-check), so that they never show up in a request's statement count.
    pub fn for_background(&self) -> Db {
        Db {
            pool: self.pool.clone(),
            hot: self.hot.clone(),
            breaker: self.breaker.clone(),
            statements: Arc::new(AtomicU64::new(0)),
            writes: self.writes.clone(),
        }
    }

    /// A pool of its own on the same database, with the same options but at most
    /// `max_connections`, sharing this handle's breaker and counts: for a task that runs on a
    /// runtime of its own (the audit writer), whose connections must belong to that runtime.
    /// It connects lazily, so it must be made inside that runtime.
    pub fn twin(&self, max_connections: u32) -> Db {
        let pool = match &self.pool {
            Pool::Sqlite(p) => Pool::Sqlite(
                p.options()
                    .clone()
                    .max_connections(max_connections)
                    .min_connections(0)
                    .connect_lazy_with((*p.connect_options()).clone()),
            ),
            // Pinged, like the pool it twins, only after a second idle: an audit batch is four
            // round trips without the ping and five with it, and every request waits for one.
            // A batch on a connection the server dropped fails closed (its requests answer
            // UNAVAILABLE) and the next batch takes a fresh connection.
            Pool::Postgres(p) => Pool::Postgres(
                p.options()
                    .clone()
                    .max_connections(max_connections)
                    .min_connections(0)
                    .connect_lazy_with((*p.connect_options()).clone()),
            ),
        };
        Db {
            hot: kept_for(&pool, max_connections),
            pool,
            breaker: self.breaker.clone(),
            statements: self.statements.clone(),
            writes: self.writes.clone(),
        }
    }

    /// The most connections the pool opens.
    pub fn max_connections(&self) -> u32 {
        match &self.pool {
            Pool::Sqlite(p) => p.options().get_max_connections(),
            Pool::Postgres(p) => p.options().get_max_connections(),
        }
    }

    /// (open connections, idle connections) of the pool.
    pub fn pool_usage(&self) -> (u32, usize) {
        match &self.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle()),
            // Kept connections are idle too, though still checked out of the pool.
            Pool::Postgres(p) => (p.size(), p.num_idle() + self.hot.kept()),
        }
    }

    /// Whether the pool was closed (the server is stopping).
    pub fn is_closed(&self) -> bool {
        match &self.pool {
            Pool::Sqlite(p) => p.is_closed(),
            Pool::Postgres(p) => p.is_closed(),
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => {
                // The pool's close waits for every connection checked out, kept ones included.
                self.hot.close();
                p.close().await
            }
        }
    }

    /// Whether the database answers and holds audit-hub's schema (its migration ledger is
    /// readable): what `/readyz` reports.
    pub async fn ping(&self) -> bool {
        use schema::SqlxMigrations;
        let q = sea_query::Query::select()
            .expr(sea_query::Func::count(sea_query::Expr::col(
                SqlxMigrations::Version,
            )))
            .from(SqlxMigrations::Table)
            .to_owned();
        self.scalar_i64(&q).await.is_ok_and(|n| n > 0)
    }

    /// Begins a (write) transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.begin_counted(Some(self.writes.clone())).await
    }

    /// Begins a transaction that only appends to the audit trail: its commit changes no data a
    /// cache holds, so it is not counted in [`Db::write_count`].
    pub async fn begin_audit(&self) -> Result<Tx, sqlx::Error> {
        self.begin_counted(None).await
    }

    async fn begin_counted(&self, writes: Option<Arc<AtomicU64>>) -> Result<Tx, sqlx::Error> {
        self.breaker.check()?;
        let inner = match &self.pool {
            // Every transaction here writes: taking SQLite's write lock up front (IMMEDIATE) makes
            // concurrent writers wait their turn instead of failing on a lock upgrade.
            Pool::Sqlite(p) => p.begin_with("BEGIN IMMEDIATE").await.map(TxInner::Sqlite),
            Pool::Postgres(p) => self.pg_begin(p, None).await.map(TxInner::Postgres),
        };
        self.breaker.observe(&inner);
        let inner = inner?;
        Ok(Tx {
            inner,
            statements: self.statements.clone(),
            writes,
        })
    }

    /// Begins a read-only transaction whose statements all see one snapshot of the data
    /// (PostgreSQL: REPEATABLE READ; SQLite in WAL mode: the database as of the first read), so a
    /// long export read page by page is consistent even while imports commit. It holds one
    /// pooled connection until it ends.
    pub async fn begin_snapshot(&self) -> Result<Tx, sqlx::Error> {
        self.breaker.check()?;
        let inner = match &self.pool {
            Pool::Sqlite(p) => p.begin_with("BEGIN DEFERRED").await.map(TxInner::Sqlite),
            Pool::Postgres(p) => self
                .pg_begin(
                    p,
                    Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".into_sql_str()),
                )
                .await
                .map(TxInner::Postgres),
        };
        self.breaker.observe(&inner);
        let inner = inner?;
        Ok(Tx {
            inner,
            statements: self.statements.clone(),
            writes: None,
        })
    }

    /// Runs a select and decodes every row.
    pub async fn all<T: Row>(&self, q: &SelectStatement) -> Result<Vec<T>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        conn.all(q).await
    }

    /// Runs a select and decodes every row by position ([`positional`]).
    pub async fn all_by_position<T: positional::Positional>(
        &self,
        q: &SelectStatement,
    ) -> Result<Vec<T>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        conn.all_by_position(q).await
    }

    /// [`Db::all_by_position`] for a select already rendered for this backend ([`memo`]).
    pub async fn all_rendered_by_position<T: positional::Positional>(
        &self,
        r: memo::Rendered,
    ) -> Result<Vec<T>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        conn.all_rendered_by_position(r).await
    }

    /// Runs a select and decodes the first row, if any.
    pub async fn optional<T: Row>(&self, q: &SelectStatement) -> Result<Option<T>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        conn.optional(q).await
    }

    /// Runs a select of one integer.
    pub async fn scalar_i64(&self, q: &SelectStatement) -> Result<i64, sqlx::Error> {
        let mut conn = self.acquire().await?;
        conn.scalar_i64(q).await
    }

    /// Runs an insert, update or delete.
    pub async fn execute<S: SqlxBinder>(&self, q: &S) -> Result<u64, sqlx::Error> {
        let mut conn = self.acquire().await?;
        let n = conn.execute(q).await;
        self.writes.fetch_add(1, Ordering::AcqRel);
        n
    }

    async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        self.breaker.check()?;
        let inner = match &self.pool {
            // Boxed, as the pool's checkout in `hot` is: a 3 kB future held by every statement's.
            Pool::Sqlite(p) => Box::pin(p.acquire()).await.map(ConnInner::Sqlite),
            Pool::Postgres(p) => self.hot.acquire(p).await.map(ConnInner::Postgres),
        };
        self.breaker.observe(&inner);
        let inner = inner?;
        Ok(Conn {
            inner,
            statements: self.statements.clone(),
        })
    }

    /// Begins a PostgreSQL transaction on a connection checked out as statements' are (kept
    /// ones first), so that a transaction never waits on the pool while one is kept ([`hot`]).
    /// The transaction's connection goes back the pool's own way.
    async fn pg_begin(
        &self,
        pool: &PgPool,
        statement: Option<sqlx::SqlStr>,
    ) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let conn = self
            .hot
            .acquire(pool)
            .await?
            .into_pooled()
            .ok_or(sqlx::Error::PoolClosed)?;
        // What `PgPool::begin` does with the connection it checks out.
        Transaction::begin(conn, statement).await
    }
}

enum ConnInner {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(hot::Lease),
}

/// A pooled connection.
struct Conn {
    inner: ConnInner,
    statements: Arc<AtomicU64>,
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub struct Tx {
    inner: TxInner,
    statements: Arc<AtomicU64>,
    writes: Option<Arc<AtomicU64>>,
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let done = match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Postgres(t) => t.commit().await,
        };
        if let Some(w) = self.writes {
            // Counted after the commit: a cache that sees the new count reads committed data.
            w.fetch_add(1, Ordering::AcqRel);
        }
        done
    }

    /// The backend of this transaction.
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Conn {
    /// Which SQL dialect this connection speaks.
    pub fn backend(&self) -> Backend {
        match self.inner {
            ConnInner::Sqlite(_) => Backend::Sqlite,
            ConnInner::Postgres(_) => Backend::Postgres,
        }
    }

    fn executor(&mut self) -> Result<Executor<'_>, sqlx::Error> {
        Ok(match &mut self.inner {
            ConnInner::Sqlite(c) => Executor::Sqlite(c),
            ConnInner::Postgres(c) => Executor::Postgres(c.conn()?),
        })
    }

    /// The statement ran to completion: a PostgreSQL connection may be kept for the next one.
    fn finished(&mut self) {
        if let ConnInner::Postgres(c) = &mut self.inner {
            c.finished();
        }
    }
}

impl Tx {
    fn executor(&mut self) -> Result<Executor<'_>, sqlx::Error> {
        Ok(match &mut self.inner {
            TxInner::Sqlite(t) => Executor::Sqlite(t),
            TxInner::Postgres(t) => Executor::Postgres(t),
        })
    }

    /// A transaction's connection goes back to the pool its own way.
    fn finished(&mut self) {}
}

/// The statement runners shared by a pooled connection and a transaction.
macro_rules! runners {
    ($ty:ty) => {
        impl $ty {
            /// Runs a select and decodes every row.
            pub async fn all<T: Row>(&mut self, q: &SelectStatement) -> Result<Vec<T>, sqlx::Error> {
                self.statements.fetch_add(1, Ordering::Relaxed);
                run!(self, ex, qb => {
                    let (sql, values) = render::select(q, qb);
                    sqlx::query_as_with(AssertSqlSafe(sql), values).fetch_all(ex).await
                })
            }

            /// Runs a select and decodes every row by position ([`positional`]): a page's rows.
            pub async fn all_by_position<T: positional::Positional>(
                &mut self,
                q: &SelectStatement,
            ) -> Result<Vec<T>, sqlx::Error> {
                let rendered = memo::Rendered::of(q, self.backend());
                self.all_rendered_by_position(rendered).await
            }

            /// [`Self::all_by_position`] for a select already rendered for this backend
            /// ([`memo`]).
            pub async fn all_rendered_by_position<T: positional::Positional>(
                &mut self,
                r: memo::Rendered,
            ) -> Result<Vec<T>, sqlx::Error> {
                self.statements.fetch_add(1, Ordering::Relaxed);
                let values = SqlxValues(sea_query::Values(r.values));
                match self.executor()? {
                    Executor::Sqlite(ex) => {
                        let rows = sqlx::query_with(AssertSqlSafe(r.sql), values).fetch_all(ex).await?;
                        self.finished();
                        positional::decode_all(&rows, true)
                    }
                    Executor::Postgres(ex) => {
                        let rows = sqlx::query_with(AssertSqlSafe(r.sql), values).fetch_all(ex).await?;
                        self.finished();
                        positional::decode_all(&rows, false)
                    }
                }
            }

            /// Runs a select and decodes the first row, if any.
            pub async fn optional<T: Row>(&mut self, q: &SelectStatement) -> Result<Option<T>, sqlx::Error> {
                self.statements.fetch_add(1, Ordering::Relaxed);
                run!(self, ex, qb => {
                    let (sql, values) = render::select(q, qb);
                    sqlx::query_as_with(AssertSqlSafe(sql), values).fetch_optional(ex).await
                })
            }

            /// Runs a select of one integer (a count, an id).
            pub async fn scalar_i64(&mut self, q: &SelectStatement) -> Result<i64, sqlx::Error> {
                self.statements.fetch_add(1, Ordering::Relaxed);
                run!(self, ex, qb => {
                    let (sql, values) = render::select(q, qb);
                    sqlx::query_scalar_with(AssertSqlSafe(sql), values).fetch_one(ex).await
                })
            }

            /// Runs an insert, update or delete; returns the rows affected.
            pub async fn execute<S: SqlxBinder>(&mut self, q: &S) -> Result<u64, sqlx::Error> {
                self.statements.fetch_add(1, Ordering::Relaxed);
                run!(self, ex, qb => {
                    let (sql, values) = q.build_sqlx(qb);
                    sqlx::query_with(AssertSqlSafe(sql), values)
                        .execute(ex)
                        .await
                        .map(|r| r.rows_affected())
                })
            }

            /// Runs a fixed statement without parameters (maintenance only: never caller input).
            pub async fn raw(&mut self, sql: &str) -> Result<(), sqlx::Error> {
                self.statements.fetch_add(1, Ordering::Relaxed);
                run!(self, ex, _qb => {
                    sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(ex).await.map(|_| ())
                })
            }

        }
    };
}
runners!(Conn);
runners!(Tx);

impl Tx {
    /// Runs an insert or update with `RETURNING` and decodes every returned row.
    pub async fn returning_all<T: Row, S: SqlxBinder>(
        &mut self,
        q: &S,
    ) -> Result<Vec<T>, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        run!(self, ex, qb => {
            let (sql, values) = q.build_sqlx(qb);
            sqlx::query_as_with(AssertSqlSafe(sql), values).fetch_all(ex).await
        })
    }

    /// Runs an insert or update with `RETURNING` of one integer column.
    pub async fn returning_i64<S: SqlxBinder>(&mut self, q: &S) -> Result<i64, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        run!(self, ex, qb => {
            let (sql, values) = q.build_sqlx(qb);
            sqlx::query_scalar_with(AssertSqlSafe(sql), values).fetch_one(ex).await
        })
    }
}

/// Refreshes the planner's statistics after bulk changes (seeds, imports): without them
/// PostgreSQL plans joins over freshly loaded tables as if they were empty. On PostgreSQL it also
/// vacuums, which marks the new pages all-visible: until then an index-only scan still visits
/// the table for every row it returns.
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    match db.backend() {
        Backend::Postgres => maintenance(db, "VACUUM (ANALYZE)").await,
        Backend::Sqlite => maintenance(db, "ANALYZE").await,
    }
}

/// Runs one fixed maintenance statement outside a transaction (e.g. `CREATE DATABASE`, which
/// PostgreSQL refuses inside one). Never pass caller input.
pub async fn maintenance(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    conn.raw(sql).await
}
