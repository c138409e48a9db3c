//! The two dialects of the migrations describe one schema: after every migration, SQLite and
//! PostgreSQL have the same tables, columns (of the same kind and nullability), unique indexes
//! and check constraints. Runs in the PostgreSQL pass, against a fresh SQLite database beside it.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use audit_hub::store::{ConnectOptions, Db};

/// The kind of a column's type, as both dialects can say it. Dates and times are text to SQLite
/// (ISO strings), so they share text's kind; booleans are integers.
fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    // Booleans are integers 0/1 to SQLite.
    if t.contains("int") || t.contains("serial") || t.contains("bool") {
        "integer"
    } else if t.contains("bytea") || t.contains("blob") {
        "bytes"
    } else if t.contains("numeric")
        || t.contains("decimal")
        || t.contains("real")
        || t.contains("double")
    {
        "number"
    } else {
        "text"
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Column → (kind, nullable).
    columns: BTreeMap<String, (&'static str, bool)>,
    /// Unique indexes and constraints, by their columns.
    unique: BTreeSet<Vec<String>>,
    /// How many check constraints.
    checks: usize,
}

#[derive(sqlx::FromRow)]
struct Named {
    name: String,
}

#[derive(sqlx::FromRow)]
struct SqliteColumn {
    name: String,
    #[sqlx(rename = "type")]
    declared: String,
    notnull: i64,
    pk: i64,
}

#[derive(sqlx::FromRow)]
struct SqliteIndex {
    name: String,
    #[sqlx(rename = "unique")]
    is_unique: i64,
}

#[derive(sqlx::FromRow)]
struct SqliteSql {
    sql: String,
}

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> BTreeMap<String, Table> {
    let tables: Vec<Named> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut out = BTreeMap::new();
    for t in tables {
        let mut table = Table::default();
        let columns: Vec<SqliteColumn> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)")
                .bind(&t.name)
                .fetch_all(pool)
                .await
                .expect("columns");
        for c in &columns {
            // A primary key column is never null, whatever SQLite records.
            table.columns.insert(
                c.name.clone(),
                (kind(&c.declared), c.notnull == 0 && c.pk == 0),
            );
        }
        let mut pk: Vec<(i64, String)> = columns
            .iter()
            .filter(|c| c.pk > 0)
            .map(|c| (c.pk, c.name.clone()))
            .collect();
        pk.sort();
        if !pk.is_empty() {
            table
                .unique
                .insert(pk.into_iter().map(|(_, n)| n).collect());
        }
        let indexes: Vec<SqliteIndex> =
            sqlx::query_as("SELECT name, \"unique\" FROM pragma_index_list(?)")
                .bind(&t.name)
                .fetch_all(pool)
                .await
                .expect("indexes");
        for i in indexes.iter().filter(|i| i.is_unique == 1) {
            let cols: Vec<Named> =
                sqlx::query_as("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&i.name)
                    .fetch_all(pool)
                    .await
                    .expect("index columns");
            table
                .unique
                .insert(cols.into_iter().map(|c| c.name).collect());
        }
        let sql: SqliteSql = sqlx::query_as("SELECT sql FROM sqlite_master WHERE name = ?")
            .bind(&t.name)
            .fetch_one(pool)
            .await
            .expect("sql");
        table.checks = sql.sql.to_ascii_uppercase().matches("CHECK").count();
        out.insert(t.name, table);
    }
    out
}

#[derive(sqlx::FromRow)]
struct PgColumn {
    table_name: String,
    column_name: String,
    data_type: String,
    is_nullable: String,
}

#[derive(sqlx::FromRow)]
struct PgIndex {
    table_name: String,
    columns: String,
}

#[derive(sqlx::FromRow)]
struct PgCheck {
    table_name: String,
    n: i64,
}

async fn postgres_schema(pool: &sqlx::PgPool) -> BTreeMap<String, Table> {
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    let columns: Vec<PgColumn> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    for c in columns {
        out.entry(c.table_name)
            .or_default()
            .columns
            .insert(c.column_name, (kind(&c.data_type), c.is_nullable == "YES"));
    }
    let unique: Vec<PgIndex> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, \
                string_agg(a.attname::text, ',' ORDER BY k.ord) AS columns \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE i.indisunique AND t.relname NOT LIKE '\\_sqlx%' \
         GROUP BY t.relname, i.indexrelid",
    )
    .fetch_all(pool)
    .await
    .expect("unique indexes");
    for u in unique {
        out.entry(u.table_name)
            .or_default()
            .unique
            .insert(u.columns.split(',').map(str::to_owned).collect());
    }
    let checks: Vec<PgCheck> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, COUNT(*)::bigint AS n FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         WHERE c.contype = 'c' GROUP BY t.relname",
    )
    .fetch_all(pool)
    .await
    .expect("checks");
    for c in checks {
        out.entry(c.table_name).or_default().checks = usize::try_from(c.n).unwrap_or(0);
    }
    out
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_describe_one_schema() {
    if common::backend_name() != "postgres" {
        eprintln!("dialect comparison: runs in the PostgreSQL pass");
        return;
    }
    let pg = common::TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Db::connect(&ConnectOptions {
        url: format!("sqlite://{}", dir.path().join("schema.db").display()),
        max_connections: 1,
        statement_timeout: None,
    })
    .await
    .expect("sqlite");
    sqlite.migrate().await.expect("migrate sqlite");
    sqlite.close().await;
    let lite = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("schema.db").display()
    ))
    .await
    .expect("sqlite pool");
    let post = sqlx::PgPool::connect(&pg.url).await.expect("postgres pool");
    let (a, b) = (sqlite_schema(&lite).await, postgres_schema(&post).await);
    lite.close().await;
    post.close().await;
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in &a {
        let other = &b[name];
        assert_eq!(
            table.columns, other.columns,
            "{name}: columns (kind, nullable)"
        );
        assert_eq!(table.unique, other.unique, "{name}: unique indexes");
        assert_eq!(table.checks, other.checks, "{name}: check constraints");
    }
}
