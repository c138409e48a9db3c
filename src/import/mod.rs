//! Imports of external data files: budgets, the official classifiers (KATO, the budget
//! classification), the register of bodies and the informatization objects with their
//! documents. Each checks the whole file before writing, writes
//! in one transaction, and says what it changed (docs/formats/).

pub mod budget_csv;
pub mod classification;
pub mod classified;
pub mod files;
pub mod kato;
pub mod object_rows;
pub mod objects;
pub mod organizations;
pub mod report;
pub mod source;
pub mod table;
