//! PostgreSQL connections kept for the next statement after one that ran to completion, without
//! the pool's round trip on release.
//!
//! sqlx's pool pings every connection handed back to it (a Sync and its ReadyForQuery) before
//! anyone may take it again: one more round trip per request, and a wake-up of the server's
//! backend and of this process for it (BENCHMARKS.md). The ping is there to flush what a dropped
//! statement or transaction may have left on the connection. A connection whose last statement
//! ran to completion has nothing left to flush, so it waits here instead, still checked out of
//! the pool, and the next statement takes it first. Anything else (a statement that failed or
//! was cancelled, a transaction) goes back the pool's own way, ping included.
//!
//! Rules that keep the pool's own guarantees:
//! - **Callers queue here, not on the pool.** A checkout first takes one of as many turns as
//!   the pool has connections (a fair semaphore), then a kept connection, or else one from the
//!   pool. So when every connection is busy, callers wait in line here and each is given the
//!   connection the one before it kept, unpinged. Waiting on the pool instead would strand them:
//!   connections kept here are invisible to it, and handing them back to it would ping them.
//! - **No one waits on the pool while a connection is kept.** A caller can still find nothing
//!   kept and wait on the pool (a transaction's connection is checked out without a turn, and a
//!   connection can be kept just after a caller looked). While one does, connections go back to
//!   the pool, which gives them to it. Looking and counting happen under one lock.
//! - **A connection kept idle for more than [`super::IDLE_BEFORE_PING`] is pinged before use**,
//!   as the pool pings its own idle ones; one that does not answer is closed and another taken.
//! - **Every connection goes back through the pool at least once a [`TURN`]** (the pool's ping
//!   and its `max_lifetime` check), and all of them when the pool closes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest a connection cycles through here before it goes back through the pool once.
const TURN: Duration = Duration::from_secs(60);

/// A connection waiting here.
struct Kept {
    conn: PoolConnection<Postgres>,
    /// When it last came from the pool.
    since: Instant,
    /// When it was handed back.
    at: Instant,
}

#[derive(Default)]
struct State {
    kept: Vec<Kept>,
    /// Callers waiting on the pool itself.
    waiting: usize,
    closed: bool,
}

/// The connections of one pool kept for the next statement (shared by clones of a `Db`).
#[derive(Clone)]
pub(super) struct Hot {
    state: Arc<Mutex<State>>,
    /// One turn per connection of the pool.
    turns: Arc<Semaphore>,
    /// How long a caller waits for a turn: the pool's own acquire timeout.
    wait: Duration,
}

impl std::fmt::Debug for Hot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hot").field("kept", &self.kept()).finish()
    }
}

/// A checked-out connection that is kept when dropped after [`Lease::finished`], and goes back
/// to the pool otherwise; its caller's turn ends after that.
pub(super) struct Lease {
    /// Always present until dropped.
    conn: Option<PoolConnection<Postgres>>,
    since: Instant,
    clean: bool,
    hot: Hot,
    /// Released after the connection is kept (fields drop after `drop`), so the next caller in
    /// line finds it.
    _turn: OwnedSemaphorePermit,
}

impl Lease {
    /// The connection, for one statement: the lease counts as unfinished until
    /// [`Lease::finished`] says the statement ran to completion.
    pub(super) fn conn(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        self.clean = false;
        self.conn.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// The statement ran to completion: nothing is left on the connection to flush.
    pub(super) fn finished(&mut self) {
        self.clean = true;
    }

    /// The pool's connection itself, for a transaction (which goes back the pool's way); the
    /// caller's turn ends here.
    pub(super) fn into_pooled(mut self) -> Option<PoolConnection<Postgres>> {
        self.conn.take()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Otherwise the connection is dropped here: the pool pings it, which flushes whatever a
        // cancelled statement left, or closes it.
        if let Some(conn) = self.conn.take()
            && self.clean
        {
            self.hot.keep(conn, self.since);
        }
    }
}

/// Counts a caller waiting on the pool for as long as it waits (or until it is cancelled).
struct Waiting<'a>(&'a Hot);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.state().waiting -= 1;
    }
}

impl Hot {
    /// For a pool of `connections` whose callers wait at most `wait` for one.
    pub(super) fn new(connections: u32, wait: Duration) -> Hot {
        Hot {
            state: Arc::default(),
            turns: Arc::new(Semaphore::new(connections.max(1) as usize)),
            wait,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way; a poisoned lock holds consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many connections are kept.
    pub(super) fn kept(&self) -> usize {
        self.state().kept.len()
    }

    /// A connection: the last one kept, or else one from `pool`, once the caller's turn comes;
    /// all within the pool's acquire timeout, as a checkout from the pool alone would be.
    pub(super) async fn acquire(&self, pool: &PgPool) -> Result<Lease, sqlx::Error> {
        // One deadline for the turn, the ping and the pool: when the database is down, callers
        // queue for turns while the ones ahead wait on connections that fail, and a request must
        // still fail within the timeout.
        let deadline = tokio::time::Instant::now() + self.wait;
        let turn = tokio::time::timeout_at(deadline, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let kept = {
                let mut s = self.state();
                let kept = s.kept.pop();
                if kept.is_none() {
                    s.waiting += 1;
                }
                kept
            };
            let Some(mut k) = kept else {
                let _waiting = Waiting(self);
                // Boxed: sqlx's checkout is a future of about 9 kB, and held inline it would make
                // every statement's future (and every future that awaits one) that much larger,
                // copied at each move, although a kept connection serves most statements.
                let conn = tokio::time::timeout_at(deadline, Box::pin(pool.acquire()))
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)??;
                return Ok(self.lease(conn, Instant::now(), turn));
            };
            if k.at.elapsed() > super::IDLE_BEFORE_PING {
                let ping = sqlx::Connection::ping(&mut *k.conn);
                match tokio::time::timeout_at(deadline, ping).await {
                    Ok(Ok(())) => {}
                    answer => {
                        k.conn.close_on_drop();
                        if answer.is_err() {
                            return Err(sqlx::Error::PoolTimedOut);
                        }
                        continue;
                    }
                }
            }
            return Ok(self.lease(k.conn, k.since, turn));
        }
    }

    fn lease(
        &self,
        conn: PoolConnection<Postgres>,
        since: Instant,
        turn: OwnedSemaphorePermit,
    ) -> Lease {
        Lease {
            conn: Some(conn),
            since,
            clean: false,
            hot: self.clone(),
            _turn: turn,
        }
    }

    /// Keeps `conn` for the next statement, unless someone waits on the pool, its turn through
    /// here is up or the pool is closing: then it goes back to the pool.
    fn keep(&self, conn: PoolConnection<Postgres>, since: Instant) {
        let now = Instant::now();
        let mut s = self.state();
        if s.closed || s.waiting > 0 || now.duration_since(since) > TURN {
            drop(s);
            drop(conn);
            return;
        }
        // Those idle here for a whole turn go back to the pool too, whose idle timeout then
        // applies to them.
        let (stale, fresh): (Vec<Kept>, Vec<Kept>) = std::mem::take(&mut s.kept)
            .into_iter()
            .partition(|k| now.duration_since(k.at) > TURN);
        s.kept = fresh;
        s.kept.push(Kept {
            conn,
            since,
            at: now,
        });
        drop(s);
        drop(stale);
    }

    /// Hands every kept connection back to the pool and keeps none from now on: the pool is
    /// closing, and its close waits for every connection checked out.
    pub(super) fn close(&self) {
        let kept = {
            let mut s = self.state();
            s.closed = true;
            std::mem::take(&mut s.kept)
        };
        self.turns.close();
        drop(kept);
    }
}
