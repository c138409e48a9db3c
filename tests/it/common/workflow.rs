//! Helpers for tests of the access workflow: valid forms, the actors of each step, and requests
//! made as one of them.

use audit_hub::domain::ident;
use audit_hub::store::Db;
use sea_query::{Expr, ExprTrait, Func, Query};
use serde_json::{Value, json};

use super::{TestServer, token, user_of};

pub const SUBMIT: &str = "mutation($input: AccessApplicationInput!) {
  submitAccessApplication(input: $input) { id status systems reviewDue overdue } }";
pub const REVIEW: &str = "mutation($id: ID!, $d: ReviewDecision!, $c: String) {
  reviewAccessApplication(id: $id, decision: $d, comment: $c) { id status grantDue reviewComment } }";
pub const GRANT: &str = "mutation($id: ID!) { grantAccess(applicationId: $id) { id system validFrom validUntil status user { id iin } } }";
pub const TRAIN: &str = "mutation($u: ID!, $on: Date!) { recordTraining(userId: $u, completedOn: $on, language: KK) { id } }";
pub const BLOCK: &str = "mutation($u: ID!) { blockUser(userId: $u) { id status } }";
pub const DATA: &str = "{ budgetSummary(groupBy: [REGION]) { key { region } amount } }";

pub fn iin(serial: u32) -> String {
    (serial..)
        .find_map(|s| {
            let d = |p: u32| ((s / 10u32.pow(p)) % 10) as u8;
            ident::complete([9, 0, 0, 1, 0, 1, 3, d(3), d(2), d(1), d(0)])
        })
        .expect("an IIN")
}

pub fn employee(iin: &str, surname: &str) -> Value {
    json!({
        "surname": surname, "name": "Айгерім", "patronymic": null, "iin": iin,
        "position": "Бас маман", "structuralUnit": "Тексеру бөлімі", "eqyzmetQrCode": format!("EQ-{iin}"),
        "phone": "+7 701 123 45 67", "email": format!("{iin}@maslikhat.kz"), "purpose": "Бюджетті бақылау"
    })
}

pub fn application(employees: Vec<Value>) -> Value {
    json!({ "input": {
        "systems": ["ANALYTICS_CENTER", "STATE_PLANNING"], "employees": employees,
        "headFullName": "Ахметов Асқар Серікұлы", "executorPhone": "+77011234567", "executorEmail": "exec@maslikhat.kz",
        "outgoingNumber": "01-15/123", "outgoingDate": "2025-06-02"
    }})
}

/// Rows of the workflow tables, to show a refused step changed nothing.
pub async fn counts(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "access_applications",
        "application_employees",
        "access_grants",
        "training_records",
        "users",
    ] {
        let q = Query::select()
            .expr(Func::count(Expr::col("id")))
            .from(table)
            .to_owned();
        out.push(db.scalar_i64(&q).await.expect("count"));
    }
    let q = Query::select()
        .expr(Func::count(Expr::col("id")))
        .from("users")
        .and_where(Expr::col("status").eq("BLOCKED"))
        .to_owned();
    out.push(db.scalar_i64(&q).await.expect("blocked"));
    out
}

pub fn code(v: &Value) -> String {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

pub struct Actors {
    pub head: String,
    pub reviewer: String,
    pub integrator: String,
}

pub async fn actors(db: &Db) -> Actors {
    Actors {
        head: user_of(db, "MASLIKHAT", "110000000", true).await.iin,
        reviewer: user_of(db, "AUTHORIZED_BODY", "", true).await.iin,
        integrator: user_of(db, "INTEGRATOR", "", true).await.iin,
    }
}

pub async fn as_user(s: &mut TestServer, iin: &str, q: &str, vars: Value) -> Value {
    s.token = Some(token(iin));
    s.gql(q, vars).await
}
