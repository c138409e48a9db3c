//! The table and column enums of `store::schema` name exactly the migrated schema: every table
//! and column they name exists on the backend under test, and every table and column the
//! migrations create has its enum and variant.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use audit_hub::store::Backend;
use audit_hub::store::schema::every_table;

#[derive(sqlx::FromRow)]
struct Column {
    table_name: String,
    column_name: String,
}

/// Every table of the database (sqlx's ledger and SQLite's own aside) with its columns.
async fn migrated(t: &common::TestDb) -> BTreeMap<String, BTreeSet<String>> {
    let columns: Vec<Column> = match t.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&t.url)
                .await
                .expect("sqlite pool");
            let rows = sqlx::query_as(
                "SELECT m.name AS table_name, c.name AS column_name \
                 FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\'",
            )
            .fetch_all(&pool)
            .await
            .expect("sqlite columns");
            pool.close().await;
            rows
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&t.url).await.expect("postgres pool");
            let rows = sqlx::query_as(
                "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name \
                 FROM information_schema.columns c \
                 JOIN information_schema.tables t \
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
                 AND c.table_name NOT LIKE '\\_sqlx%'",
            )
            .fetch_all(&pool)
            .await
            .expect("postgres columns");
            pool.close().await;
            rows
        }
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in columns {
        out.entry(c.table_name).or_default().insert(c.column_name);
    }
    out
}

#[tokio::test]
async fn the_schema_enums_name_the_migrated_tables_and_columns() {
    let t = common::TestDb::new().await;
    let real = migrated(&t).await;
    assert!(
        real.contains_key("users") && real.len() > 20,
        "the scan reads the migrated tables: {:?}",
        real.keys()
    );

    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, columns) in every_table() {
        let n = columns.len();
        let set: BTreeSet<String> = columns.into_iter().collect();
        assert_eq!(set.len(), n, "{table}: a column named twice");
        assert!(
            named.insert(table.clone(), set).is_none(),
            "{table}: two enums name it"
        );
    }

    let unknown_tables: Vec<&String> = named.keys().filter(|t| !real.contains_key(*t)).collect();
    assert!(
        unknown_tables.is_empty(),
        "enums of tables the migrations do not create: {unknown_tables:?}"
    );
    let missing_tables: Vec<&String> = real.keys().filter(|t| !named.contains_key(*t)).collect();
    assert!(
        missing_tables.is_empty(),
        "tables without an enum in store/schema.rs: {missing_tables:?}"
    );
    for (table, columns) in &named {
        let have = &real[table];
        let unknown: Vec<&String> = columns.difference(have).collect();
        assert!(
            unknown.is_empty(),
            "{table}: variants of columns the table lacks: {unknown:?}"
        );
        let missing: Vec<&String> = have.difference(columns).collect();
        assert!(
            missing.is_empty(),
            "{table}: columns without a variant: {missing:?}"
        );
    }
}
