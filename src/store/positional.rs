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

    /// Which columns a statement may leave out (one per [`ByPosition::COLUMNS`]): the field of
    /// one left out holds its type's default. Only text a page may not ask for is marked so.
    const PRUNABLE: &'static [bool];

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
        .zip(T::PRUNABLE)
        .map(|(name, prunable)| match first.try_column(*name) {
            Ok(c) => Ok(c.ordinal()),
            Err(sqlx::Error::ColumnNotFound(_)) if *prunable => Ok(LEFT_OUT),
            Err(e) => Err(e),
        })
        .collect::<Result<Vec<usize>, _>>()?;
    // Sized up front: collecting into a `Result` loses the length, and the vector then grew
    // (and was copied) six times on a page of a hundred rows.
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        out.push(
            T::decode(row, &at, check_every_row || i == 0).map_err(|e| named::<R, T>(e, &at))?,
        );
    }
    Ok(out)
}

/// Which columns of row type `T` a statement reads: every column that is not prunable, and of
/// the prunable ones those asked for. A caller leaves a column out only when it knows that no
/// field reading it is asked (an object page, from its selection).
pub struct Reads<T> {
    /// Bit `i`: prunable column `T::COLUMNS[i]` is read.
    bits: u64,
    row: std::marker::PhantomData<fn() -> T>,
}

impl<T> Clone for Reads<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Reads<T> {}
impl<T> PartialEq for Reads<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<T> Eq for Reads<T> {}
impl<T> std::hash::Hash for Reads<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}
impl<T> std::fmt::Debug for Reads<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reads({:#b})", self.bits)
    }
}

impl<T: ByPosition<PgRow>> Reads<T> {
    /// Every column.
    pub fn all() -> Self {
        Reads {
            bits: u64::MAX,
            row: std::marker::PhantomData,
        }
    }

    /// Only the columns that are not prunable.
    pub fn required() -> Self {
        Reads {
            bits: 0,
            row: std::marker::PhantomData,
        }
    }

    /// These columns and `column` too.
    pub fn and(mut self, column: &str) -> Self {
        if let Some(i) = T::COLUMNS.iter().position(|c| *c == column) {
            self.bits |= 1 << i;
        }
        self
    }

    /// Whether `column` is read.
    pub fn reads(&self, column: &str) -> bool {
        T::COLUMNS
            .iter()
            .position(|c| *c == column)
            .is_none_or(|i| !T::PRUNABLE[i] || self.bits & (1 << i) != 0)
    }
}

/// The position of a prunable column the statement left out.
pub const LEFT_OUT: usize = usize::MAX;

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
/// columns: `by_position!(Row { id, name, kind: parsed, note: prunable })`, where `parsed`
/// marks a field stored as text and parsed (`FromStr`), and `prunable` one a statement may leave
/// out (it then holds its default; see [`ByPosition::PRUNABLE`]). Every field must be listed:
/// the struct literal it expands to does not compile otherwise.
macro_rules! by_position {
    ($ty:ident { $($field:ident $(: $how:ident)?),+ $(,)? }) => {
        $crate::store::positional::by_position!(@impl $ty, sqlx::sqlite::SqliteRow, $($field $(: $how)?),+);
        $crate::store::positional::by_position!(@impl $ty, sqlx::postgres::PgRow, $($field $(: $how)?),+);
    };
    (@impl $ty:ident, $row:ty, $($field:ident $(: $how:ident)?),+) => {
        impl $crate::store::positional::ByPosition<$row> for $ty {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];
            const PRUNABLE: &'static [bool] =
                &[$($crate::store::positional::by_position!(@prunable $($how)?)),+];

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
    (@get $row:ident, $at:expr, $checked:ident, prunable) => {
        match $at {
            $crate::store::positional::LEFT_OUT => Default::default(),
            at => $crate::store::positional::value($row, at, $checked)?,
        }
    };
    (@prunable prunable) => { true };
    (@prunable $how:ident) => { false };
    (@prunable) => { false };
}
pub(crate) use by_position;
