//! Renders a select for sqlx with its `LIMIT` written into the text rather than bound as a
//! parameter, so that PostgreSQL plans a prepared page with the limit it really has.
//!
//! sqlx prepares every statement, and after five runs PostgreSQL may keep one generic plan for
//! it. Planned for an unknown `LIMIT $n`, a page such as `… WHERE <scope> ORDER BY id LIMIT $n`
//! is read by walking the primary key and filtering, in the hope of stopping early: for a body
//! that sees few rows that walks the whole table (an Almaty body's objects page: every object
//! read, 3.5 times slower than with the limit written in). With the limit in the text the
//! generic plan uses the scope's index and sorts what it finds, as the custom plan does. A limit
//! is a number the server computes (a page size, bounded; or 1), never caller text, and there are
//! few distinct ones, so each still gives one prepared statement per connection.

use sea_query::{QueryBuilder, SelectStatement, Value};
use sea_query_sqlx::{SqlxBinder, SqlxValues};

/// `q` rendered by `builder`, its trailing `LIMIT` (when it is the statement's last clause)
/// written as a literal.
pub fn select<B: QueryBuilder>(q: &SelectStatement, builder: B) -> (String, SqlxValues) {
    let (mut sql, mut values) = q.build_sqlx(builder);
    let params = &mut (values.0).0;
    if let Some(Value::BigUnsigned(Some(limit))) = params.last() {
        let limit = *limit;
        // PostgreSQL numbers its placeholders, SQLite does not.
        let placeholders = [format!(" LIMIT ${}", params.len()), " LIMIT ?".to_owned()];
        if let Some(p) = placeholders.iter().find(|p| sql.ends_with(p.as_str())) {
            sql.truncate(sql.len() - p.len());
            sql.push_str(&format!(" LIMIT {limit}"));
            params.pop();
        }
    }
    (sql, values)
}

#[cfg(test)]
mod tests {
    use sea_query::{
        Expr, ExprTrait, LockType, Order, PostgresQueryBuilder, Query, SqliteQueryBuilder,
    };

    use super::*;

    fn page() -> SelectStatement {
        Query::select()
            .column("id")
            .from("objects")
            .and_where(Expr::col("kato").gte("75"))
            .and_where(Expr::col("id").gt(7u64))
            .order_by("id", Order::Asc)
            .limit(101)
            .to_owned()
    }

    #[test]
    fn a_trailing_limit_is_written_in_and_the_other_values_stay_bound() {
        let cases = [
            (
                "postgres",
                select(&page(), PostgresQueryBuilder),
                r#"SELECT "id" FROM "objects" WHERE "kato" >= $1 AND "id" > $2 ORDER BY "id" ASC LIMIT 101"#,
            ),
            (
                "sqlite",
                select(&page(), SqliteQueryBuilder),
                r#"SELECT "id" FROM "objects" WHERE "kato" >= ? AND "id" > ? ORDER BY "id" ASC LIMIT 101"#,
            ),
        ];
        for (name, (sql, values), expected) in cases {
            assert_eq!(sql, expected, "{name}");
            assert_eq!(
                (values.0).0,
                vec![Value::from("75"), Value::from(7u64)],
                "{name}"
            );
        }
    }

    #[test]
    fn a_limit_not_at_the_end_or_no_limit_is_left_as_built() {
        let locked = page().lock(LockType::Update).to_owned();
        let offset = page().offset(5).to_owned();
        let unlimited = Query::select()
            .column("id")
            .from("objects")
            .and_where(Expr::col("id").gt(7u64))
            .to_owned();
        for (name, q) in [
            ("locked", locked),
            ("offset", offset),
            ("no limit", unlimited),
        ] {
            let (sql, values) = select(&q, PostgresQueryBuilder);
            let (built, bound) = q.build_sqlx(PostgresQueryBuilder);
            assert_eq!(
                (sql, (values.0).0),
                (built, (bound.0).0),
                "{name}, postgres"
            );
            let (sql, values) = select(&q, SqliteQueryBuilder);
            let (built, bound) = q.build_sqlx(SqliteQueryBuilder);
            assert_eq!((sql, (values.0).0), (built, (bound.0).0), "{name}, sqlite");
        }
    }
}
