//! Keyset pagination: pages ordered by id, continued after the last id seen.

/// Largest page a caller may ask for.
pub const MAX_PAGE: u64 = 1000;
/// Page size when the caller gives none.
pub const DEFAULT_PAGE: u64 = 100;

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted (already capped).
    pub first: u64,
    /// Continue after this id.
    pub after: Option<i64>,
}

impl PageRequest {
    /// A request for `first` rows (default and cap applied) after `after`.
    pub fn new(first: Option<i32>, after: Option<i64>) -> PageRequest {
        let first = first
            .map(|f| u64::try_from(f.max(0)).unwrap_or(0))
            .unwrap_or(DEFAULT_PAGE)
            .min(MAX_PAGE);
        PageRequest { first, after }
    }

    /// The limit to query with: one more than wanted, to learn whether a next page exists.
    pub fn limit(&self) -> u64 {
        self.first + 1
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in id order.
    pub items: Vec<T>,
    /// Whether more rows follow.
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Cuts the over-fetched row off a result queried with [`PageRequest::limit`].
    pub fn from_overfetch(mut rows: Vec<T>, req: PageRequest) -> Page<T> {
        let wanted = usize::try_from(req.first).unwrap_or(usize::MAX);
        let has_next = rows.len() > wanted;
        rows.truncate(wanted);
        Page {
            items: rows,
            has_next,
        }
    }
}
