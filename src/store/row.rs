//! One-row inserts whose values match their columns in number by type, so the statement is
//! built without sea-query's run-time count check (`values_panic`) at each call site.

use sea_query::{Expr, InsertStatement, IntoIden, IntoTableRef, Query};

/// `INSERT INTO table (columns) VALUES (values)`: as many values as columns, checked by the
/// compiler through `N`. Chain `returning_col`, `on_conflict` and the like on the result.
pub fn insert_row<T, C, const N: usize>(
    table: T,
    columns: [C; N],
    values: [Expr; N],
) -> InsertStatement
where
    T: IntoTableRef,
    C: IntoIden,
{
    let mut q = Query::insert();
    q.into_table(table).columns(columns);
    // Cannot panic: sea-query refuses only a count of values other than the columns', and
    // both arrays have length N.
    q.values_panic(values);
    q
}

#[cfg(test)]
mod tests {
    use sea_query::{Alias, PostgresQueryBuilder, SqliteQueryBuilder};

    use super::*;

    #[test]
    fn a_row_is_its_columns_and_values_in_order() {
        let q = insert_row(
            Alias::new("grants"),
            [Alias::new("user_id"), Alias::new("system")],
            [7.into(), "ANALYTICS_CENTER".into()],
        )
        .returning_col(Alias::new("id"))
        .to_owned();
        let want = r#"INSERT INTO "grants" ("user_id", "system") VALUES (7, 'ANALYTICS_CENTER') RETURNING "id""#;
        assert_eq!(q.to_string(PostgresQueryBuilder), want);
        assert_eq!(q.to_string(SqliteQueryBuilder), want);
    }
}
