//! `users list`: who is registered where, for operators.

use super::Context;
use crate::authz::Permissions;
use crate::domain::org::BodyKind;
use crate::store::{Db, orgs, users};

/// What to do with users.
#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// List users: IIN, name, organization BIN, kind, territory, administrator, status.
    List {
        /// Only users of organizations of this kind.
        #[arg(long)]
        org_kind: Option<BodyKind>,
        /// How to print them.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Text,
    /// CSV with a header row.
    Csv,
}

/// Lists users.
pub(super) async fn run(cx: &Context<'_>, what: UsersCommand) -> anyhow::Result<i32> {
    let UsersCommand::List { org_kind, format } = what;
    let db = cx.open().await?;
    print_users(&db, org_kind, format).await?;
    Ok(0)
}

async fn print_users(db: &Db, kind: Option<BodyKind>, format: Format) -> anyhow::Result<()> {
    // Operator tooling on the server itself: every body's people.
    let everything = Permissions::operator();
    let all = users::all(db, everything.people()?).await?;
    let ids: Vec<i64> = all.iter().map(|u| u.organization_id).collect();
    let orgs = orgs::by_ids(db, everything.organizations()?, &ids).await?;
    let csv_out = format == Format::Csv;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    if csv_out {
        out.write_record([
            "iin",
            "name",
            "organization_bin",
            "kind",
            "territory",
            "administrator",
            "status",
        ])?;
    }
    // Names come from application forms: never printed raw (a CR/LF or an ANSI escape in a
    // surname must not forge a row or recolour the terminal).
    let safe = |t: &str| crate::domain::text::escaped(t).into_owned();
    for u in all {
        let Some(o) = orgs.iter().find(|o| o.id == u.organization_id) else {
            continue;
        };
        if kind.is_some_and(|k| k != o.kind) {
            continue;
        }
        let admin = safe(&o.administrator.clone().unwrap_or_default());
        let name = safe(&u.full_name());
        if csv_out {
            out.write_record([
                u.iin.as_str(),
                &name,
                &o.bin,
                o.kind.as_str(),
                &o.kato,
                &admin,
                u.status.as_str(),
            ])?;
        } else {
            println!(
                "{}  {:<40} {} {:<34} {} {:>3} {}",
                u.iin,
                name,
                o.bin,
                o.kind.as_str(),
                o.kato,
                admin,
                u.status.as_str()
            );
        }
    }
    out.flush()?;
    Ok(())
}
