//! A national budget CSV of any size, as the import benchmark and the fault tests write it: a
//! year of lines, each with its four plan phases and monthly execution snapshots.

use std::fmt::Write as _;

use audit_hub::store::Db;
use sea_query::{Expr, ExprTrait, Query};

/// The year of the file's lines.
#[allow(dead_code)]
pub const YEAR: i32 = 2027;

/// Rows per line: four plan phases and ten monthly execution snapshots.
pub const ROWS_PER_LINE: usize = 14;

const ADMINISTRATORS: [&str; 12] = [
    "201", "204", "217", "225", "226", "252", "253", "261", "268", "271", "352", "464",
];

#[derive(sqlx::FromRow)]
struct Kato {
    kato: String,
}

/// The regions' KATO codes in the reference data, in order.
pub async fn regions(db: &Db) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Kato> = db
        .all(
            &Query::select()
                .column("kato")
                .from("territories")
                .and_where(Expr::col("kind").is_in(["OBLAST", "CITY_REPUBLICAN", "CAPITAL"]))
                .order_by("kato", sea_query::Order::Asc)
                .to_owned(),
        )
        .await?;
    anyhow::ensure!(!rows.is_empty(), "no regions in the reference data");
    Ok(rows.into_iter().map(|k| k.kato).collect())
}

/// The file: 2027's lines, every tenth republican, the rest regional, each line unique by its
/// program and subprogram.
pub fn national_csv(rows: usize, regions: &[String]) -> String {
    let mut out = String::with_capacity(rows * 64);
    out.push_str(
        "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n",
    );
    let month_ends = [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
        "2027-05-31",
        "2027-06-30",
        "2027-07-31",
        "2027-08-31",
        "2027-09-30",
        "2027-10-31",
    ];
    for i in 0..rows {
        let (line, slot) = (i / ROWS_PER_LINE, i % ROWS_PER_LINE);
        let (level, kato) = if line % 10 == 0 {
            ("REPUBLICAN", "000000000")
        } else {
            ("REGIONAL", regions[line % regions.len()].as_str())
        };
        let admin = ADMINISTRATORS[line % ADMINISTRATORS.len()];
        let program = line % 999 + 1;
        let subprogram = line / 999 % 999 + 1;
        let plan = 1_000 + (line % 97) as i64 * 1_013;
        let (phase, as_of, amount) = match slot {
            0 => ("REQUESTED", "", plan * 12 / 10),
            1 => ("APPROVED", "", plan),
            2 => ("SPECIFIED", "", plan * 11 / 10),
            3 => ("CORRECTED", "", plan * 105 / 100),
            m => ("EXECUTED", month_ends[m - 4], plan * (m as i64 - 3) / 12),
        };
        let _ = writeln!(
            out,
            "2027,{level},{kato},{admin},{program:03},{subprogram:03},111,01,{phase},{as_of},{amount}.{}",
            line % 10
        );
    }
    out
}
