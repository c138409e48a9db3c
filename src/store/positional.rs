//! Rows decoded by position: each column is found by name and its type checked once per result
//! set, then every row is read by index.
//!
//! sqlx's `FromRow` finds every column of every row by name (a hashed lookup) and checks its
//! type against the field's; on a 100-row page of thirteen columns that was about a fifth of the
//! server's own instructions (BENCHMARKS.md). The hot row types implement [`ByPosition`]
//! through [`by_position!`] instead: the field names are the column names (as with `FromRow`,
//! so the order of the select's columns does not matter), a struct literal lists every field
//! (so the compiler refuses a field left out), and the first row of a result set is decoded with
//! the type checks, the rest without. SQLite keeps the checks on every row: its values carry
//! their own types row by row.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, ColumnIndex, Decode, Row, Type};

/// A row type read by position from rows of `R`.
pub trait ByPosition<R: Row>: Sized {
    /// The column names, in the order [`ByPosition::decode`] reads them.
    const COLUMNS: &'static [&'static str];

    /// The row, its columns at the positions `at` (one per [`ByPosition::COLUMNS`]); `checked`:
    /// check each value's type against the field's.
    fn decode(row: &R, at: &[usize], checked: bool) -> Result<Self, sqlx::Error>;
}

/// Rows that decode by position from both backends.
pub trait Positional: ByPosition<SqliteRow> + ByPosition<PgRow> + Send + Unpin {}
impl<T> Positional for T where T: ByPosition<SqliteRow> + ByPosition<PgRow> + Send + Unpin {}

/// Every row of a result set as `T`.
pub fn decode_all<R: Row, T: ByPosition<R>>(
    rows: &[R],
    check_every_row: bool,
) -> Result<Vec<T>, sqlx::Error>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let at = T::COLUMNS
        .iter()
        .map(|name| first.try_column(*name).map(|c| c.ordinal()))
        .collect::<Result<Vec<usize>, _>>()?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| T::decode(row, &at, check_every_row || i == 0))
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| named::<R, T>(e, &at))
}

/// A decoding error naming its column rather than its position (for the log: a client never
/// sees either).
fn named<R: Row, T: ByPosition<R>>(e: sqlx::Error, at: &[usize]) -> sqlx::Error {
    match e {
        sqlx::Error::ColumnDecode { index, source } => {
            let name = index
                .parse::<usize>()
                .ok()
                .and_then(|pos| at.iter().position(|a| *a == pos))
                .and_then(|k| T::COLUMNS.get(k));
            sqlx::Error::ColumnDecode {
                index: name.map_or(index, |n| (*n).to_owned()),
                source,
            }
        }
        other => other,
    }
}

/// One value, by position.
pub fn value<'r, R, T>(row: &'r R, at: usize, checked: bool) -> Result<T, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    if checked {
        row.try_get(at)
    } else {
        row.try_get_unchecked(at)
    }
}

/// One value stored as text and parsed (a domain enumeration), without copying the text.
pub fn parsed<'r, R, T>(row: &'r R, at: usize, checked: bool) -> Result<T, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: &str = value(row, at, checked)?;
    text.parse().map_err(|e| sqlx::Error::ColumnDecode {
        index: format!("{at}"),
        source: Box::new(e),
    })
}

/// Implements [`ByPosition`] for both backends on a struct whose fields are named as its
/// columns: `by_position!(Row { id, name, kind: parsed })`, where `parsed` marks a field stored
/// as text and parsed (`FromStr`). Every field must be listed: the struct literal it expands to
/// does not compile otherwise.
macro_rules! by_position {
    ($ty:ident { $($field:ident $(: $how:ident)?),+ $(,)? }) => {
        $crate::store::positional::by_position!(@impl $ty, sqlx::sqlite::SqliteRow, $($field $(: $how)?),+);
        $crate::store::positional::by_position!(@impl $ty, sqlx::postgres::PgRow, $($field $(: $how)?),+);
    };
    (@impl $ty:ident, $row:ty, $($field:ident $(: $how:ident)?),+) => {
        impl $crate::store::positional::ByPosition<$row> for $ty {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn decode(row: &$row, at: &[usize], checked: bool) -> Result<Self, sqlx::Error> {
                let mut at = at.iter().copied();
                let mut next = || at.next().ok_or_else(|| sqlx::Error::ColumnIndexOutOfBounds {
                    index: <Self as $crate::store::positional::ByPosition<$row>>::COLUMNS.len(),
                    len: 0,
                });
                Ok($ty {
                    $($field: $crate::store::positional::by_position!(@get row, next()?, checked $(, $how)?),)+
                })
            }
        }
    };
    (@get $row:ident, $at:expr, $checked:ident) => {
        $crate::store::positional::value($row, $at, $checked)?
    };
    (@get $row:ident, $at:expr, $checked:ident, parsed) => {
        $crate::store::positional::parsed($row, $at, $checked)?
    };
}
pub(crate) use by_position;
