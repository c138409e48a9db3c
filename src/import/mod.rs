//! Imports of external data files.

pub mod budget_csv;
