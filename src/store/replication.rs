//! How far a PostgreSQL read replica (a streaming hot standby) is behind its primary: the WAL
//! bytes it has not replayed, and since when it has replayed nothing new. A replica that is not
//! in recovery (a second database kept by other means) and SQLite have no lag to measure and
//! count as caught up; so does a "primary" that is itself in recovery. Both are configurations
//! the operator chose: a standby promoted by a failover must be removed from
//! `--read-database-url` (or become the new `--database-url`).

use sea_query::{Alias, Expr, Query};

use super::{Backend, Db};

/// A replica's distance from its primary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    /// WAL bytes written on the primary and not yet replayed on the replica (-1: unknown).
    pub bytes: i64,
    /// How stale the replica's data may be: 0 when it has replayed everything the primary has
    /// written, else the time since the last transaction it replayed was committed (`None`
    /// when it has replayed none since it started: unknown, so treated as too far behind).
    pub seconds: Option<f64>,
}

impl Lag {
    /// No lag at all.
    pub const NONE: Lag = Lag {
        bytes: 0,
        seconds: Some(0.0),
    };
}

#[derive(sqlx::FromRow)]
struct Position {
    lsn: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Behind {
    bytes: Option<i64>,
    seconds: Option<f64>,
}

/// The lag of `replica` behind `primary`, measured now.
pub async fn lag(primary: &Db, replica: &Db) -> Result<Lag, sqlx::Error> {
    if primary.backend() != Backend::Postgres || replica.backend() != Backend::Postgres {
        return Ok(Lag::NONE);
    }
    let q = Query::select()
        .expr_as(
            Expr::cust(
                "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END",
            ),
            Alias::new("lsn"),
        )
        .to_owned();
    let Some(lsn) = primary.optional::<Position>(&q).await?.and_then(|p| p.lsn) else {
        return Ok(Lag::NONE);
    };
    // The primary's position is read first, so a replica that has replayed it is caught up
    // even if the primary wrote more in between.
    let q = Query::select()
        .expr_as(
            Expr::cust_with_values(
                "CASE WHEN NOT pg_is_in_recovery() THEN 0 \
                 WHEN pg_last_wal_replay_lsn() IS NULL THEN NULL \
                 ELSE GREATEST(pg_wal_lsn_diff(CAST($1 AS pg_lsn), pg_last_wal_replay_lsn()), 0)::bigint END",
                [lsn],
            ),
            Alias::new("bytes"),
        )
        .expr_as(
            Expr::cust(
                "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8",
            ),
            Alias::new("seconds"),
        )
        .to_owned();
    let behind = replica.optional::<Behind>(&q).await?;
    // A standby that has replayed nothing since it started has no replay position: unknown.
    let Some(bytes) = behind.as_ref().and_then(|b| b.bytes) else {
        return Ok(Lag {
            bytes: -1,
            seconds: None,
        });
    };
    if bytes == 0 {
        return Ok(Lag::NONE);
    }
    Ok(Lag {
        bytes,
        seconds: behind.and_then(|b| b.seconds).map(|s| s.max(0.0)),
    })
}
