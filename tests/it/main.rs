//! The test suite as one binary: one build and one link for every test module, sharing the
//! harness in `common`.

mod abuse;
mod admin_browser;
mod admin_console;
mod api;
mod apq;
mod audit;
mod bounds;
mod calendar;
mod cert_login;
mod cli;
mod common;
mod export;
mod faults;
mod gate;
mod graphql_http;
mod hostile_input;
mod identity;
mod import;
mod labels;
mod limits;
mod load;
mod metrics;
mod ops;
mod playground_examples;
mod policy_revisions;
mod replica;
mod revocation;
mod rollup;
mod scale_out;
mod schema;
mod scope_golden;
mod scope_property;
mod seed;
mod workflow;
