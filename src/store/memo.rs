//! Statements remembered by what they were built from: a select is built and rendered once per
//! shape, and later requests of that shape bind their values to the remembered text. Pages of
//! budget lines are keyed by the caller's scope, the filter, the page size, the columns read and
//! whether a cursor is given; summaries by the scope, the grouping, the filter and the source;
//! every key also by the backend.
//!
//! Building a scoped page with sea-query and rendering it cost about a twentieth of the server's
//! cycles on a page of 100 budget lines (BENCHMARKS.md), every request over, although the text
//! and values are a pure function of the inputs. The key is those inputs themselves, compared
//! in full (never a hash of them alone), so two requests share a statement only if they would
//! have built the same one. The cursor, the one value that changes page by page, is left out of
//! the key and appended as the last bound value; a statement whose last value is not the cursor
//! it was built with, or that binds the cursor's value anywhere else too, is not remembered.
//! Nor is one with more than [`MAX_VALUES`] values: a filter of thousands of codes is rare, its
//! own statement dwarfs the building, and its key and values would dwarf the text the bound
//! weighs.

use std::hash::Hash;
use std::sync::Arc;

use sea_query::{SelectStatement, Value};

use super::Backend;
use super::render;
use crate::error::AppResult;

/// A select rendered for one backend: its text and the values bound to its placeholders.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The statement's text (shared: the memo, sqlx's statement cache and the request).
    pub sql: Arc<str>,
    /// The values, in placeholder order.
    pub values: Vec<Value>,
}

impl Rendered {
    /// `q` rendered for `backend` ([`render::select`]).
    pub fn of(q: &SelectStatement, backend: Backend) -> Rendered {
        let (sql, values) = match backend {
            Backend::Sqlite => render::select(q, sea_query::SqliteQueryBuilder),
            Backend::Postgres => render::select(q, sea_query::PostgresQueryBuilder),
        };
        Rendered {
            sql: sql.into(),
            values: (values.0).0,
        }
    }
}

/// Bytes a remembered statement is counted as besides its text and values.
const ENTRY_OVERHEAD: u32 = 512;
/// Bytes each bound value is counted as: the value itself, and its twin in the key (a filter's
/// code is held by both).
const VALUE_WEIGHT: u32 = 160;
/// Values a remembered statement binds at most.
pub const MAX_VALUES: usize = 1_000;

/// Rendered statements of one kind, keyed by `K` (with the backend), bounded in bytes.
pub struct Memo<K> {
    cache: moka::sync::Cache<(Backend, K), Arc<Rendered>>,
}

impl<K: Hash + Eq + Send + Sync + 'static> Memo<K> {
    /// A memo of at most about `bytes` bytes of statements.
    pub fn new(bytes: u64) -> Memo<K> {
        Memo {
            cache: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|_, r: &Arc<Rendered>| {
                    let values = u32::try_from(r.values.len()).unwrap_or(u32::MAX);
                    u32::try_from(r.sql.len())
                        .unwrap_or(u32::MAX)
                        .saturating_add(values.saturating_mul(VALUE_WEIGHT))
                        .saturating_add(ENTRY_OVERHEAD)
                })
                .build(),
        }
    }

    /// The statement `build` makes for `key` on `backend`, with `cursor` (when given) bound as
    /// its last value: remembered, or built, rendered and remembered. `build` must bind
    /// `cursor` last when it is given, and build the same statement for the same key.
    pub fn rendered(
        &self,
        backend: Backend,
        key: K,
        cursor: Option<Value>,
        build: impl FnOnce() -> AppResult<SelectStatement>,
    ) -> AppResult<Rendered> {
        let key = (backend, key);
        if let Some(kept) = self.cache.get(&key) {
            let mut values = Vec::with_capacity(kept.values.len() + 1);
            values.extend_from_slice(&kept.values);
            values.extend(cursor);
            return Ok(Rendered {
                sql: kept.sql.clone(),
                values,
            });
        }
        let fresh = Rendered::of(&build()?, backend);
        let shape = match &cursor {
            _ if fresh.values.len() > MAX_VALUES => None,
            None => Some(fresh.clone()),
            // The cursor must be the last value and no other: were an equal value bound after
            // it, a later page would bind its cursor in that value's place.
            Some(c) => match fresh.values.split_last() {
                Some((last, rest)) if last == c && !rest.contains(c) => Some(Rendered {
                    sql: fresh.sql.clone(),
                    values: rest.to_vec(),
                }),
                // Not the statement this memo was told it is: run it, remember nothing.
                _ => None,
            },
        };
        if let Some(shape) = shape {
            self.cache.insert(key, Arc::new(shape));
        }
        Ok(fresh)
    }

    /// Statements remembered (after pending maintenance).
    #[cfg(test)]
    fn len(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use sea_query::{Expr, ExprTrait, Order, Query};

    use super::*;

    /// A page of objects whose KATO starts at `kato`, after `after`.
    fn page(kato: &str, after: Option<i64>) -> SelectStatement {
        let mut q = Query::select()
            .column("id")
            .from("objects")
            .and_where(Expr::col("kato").gte(kato))
            .order_by("id", Order::Asc)
            .limit(101)
            .to_owned();
        if let Some(a) = after {
            q.and_where(Expr::col("id").gt(a));
        }
        q
    }

    fn memoized(
        memo: &Memo<(String, bool)>,
        backend: Backend,
        kato: &str,
        after: Option<i64>,
    ) -> Rendered {
        memo.rendered(
            backend,
            (kato.to_owned(), after.is_some()),
            after.map(Value::from),
            || Ok(page(kato, after)),
        )
        .unwrap()
    }

    #[test]
    fn a_remembered_statement_equals_the_one_built_fresh() {
        let memo = Memo::new(1 << 20);
        let cases = [
            ("first page, postgres", Backend::Postgres, "75", None),
            ("first page again, postgres", Backend::Postgres, "75", None),
            ("first page, sqlite", Backend::Sqlite, "75", None),
            ("another prefix", Backend::Postgres, "11", None),
            ("a later page", Backend::Postgres, "75", Some(7)),
            ("the page after it", Backend::Postgres, "75", Some(108)),
            ("a later page, sqlite", Backend::Sqlite, "75", Some(108)),
            (
                "another prefix's later page",
                Backend::Postgres,
                "11",
                Some(7),
            ),
        ];
        for (name, backend, kato, after) in cases {
            let got = memoized(&memo, backend, kato, after);
            let want = Rendered::of(&page(kato, after), backend);
            assert_eq!(got.sql, want.sql, "{name}");
            assert_eq!(got.values, want.values, "{name}");
        }
        // One statement per (backend, prefix, first or later page) met: postgres 75 and 11, first
        // and later; sqlite 75, first and later.
        assert_eq!(memo.len(), 6);
    }

    /// `SELECT id FROM objects WHERE …` with `conditions`, in order.
    fn objects_where(conditions: Vec<sea_query::SimpleExpr>) -> SelectStatement {
        let mut q = Query::select().column("id").from("objects").to_owned();
        for c in conditions {
            q.and_where(c);
        }
        q
    }

    #[test]
    fn statements_the_memo_cannot_take_apart_are_run_and_not_remembered() {
        let many: Vec<i64> = (0..=MAX_VALUES as i64).collect();
        let cases = [
            (
                "the cursor bound first",
                objects_where(vec![Expr::col("id").gt(7), Expr::col("kato").gte("75")]),
                Some(Value::from(7)),
            ),
            (
                "the cursor's value bound elsewhere too",
                objects_where(vec![Expr::col("owner_id").eq(7), Expr::col("id").gt(7)]),
                Some(Value::from(7)),
            ),
            (
                "too many values",
                objects_where(vec![Expr::col("id").is_in(many)]),
                None,
            ),
        ];
        for (name, q, cursor) in cases {
            let memo: Memo<&'static str> = Memo::new(1 << 20);
            let want = Rendered::of(&q, Backend::Postgres);
            let got = memo
                .rendered(Backend::Postgres, name, cursor, || Ok(q))
                .unwrap();
            assert_eq!((got.sql, got.values), (want.sql, want.values), "{name}");
            assert_eq!(memo.len(), 0, "{name}");
        }
    }

    #[test]
    fn a_failed_build_is_not_remembered() {
        let memo: Memo<&'static str> = Memo::new(1 << 20);
        let refused = memo.rendered(Backend::Postgres, "refused", None, || {
            Err(crate::error::AppError::Internal(anyhow::anyhow!("no")))
        });
        assert!(refused.is_err());
        assert_eq!(memo.len(), 0);
    }

    #[test]
    fn the_memo_is_bounded_in_bytes() {
        let memo = Memo::new(u64::from(ENTRY_OVERHEAD) * 20);
        for i in 0..200 {
            memoized(&memo, Backend::Postgres, &i.to_string(), None);
        }
        assert!(memo.len() < 20, "{} kept", memo.len());
    }
}
