//! `audit`: checking the hash chain, and printing an anchor to keep outside the database.

use super::Context;

/// What to do with the trail.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exits non-zero naming the first broken event.
    Verify {
        /// Start at this event (its predecessor is trusted).
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// An anchor printed earlier by `audit head` (`SEQ:HASH`): that event must still be
        /// there with that hash, which catches deletion of the newest events.
        #[arg(long, value_parser = parse_anchor)]
        anchor: Option<(i64, String)>,
    },
    /// Print the newest event as `SEQ:HASH`, an anchor to keep outside the database.
    Head,
}

fn parse_anchor(s: &str) -> Result<(i64, String), String> {
    let (seq, hash) = s
        .split_once(':')
        .ok_or_else(|| "expected SEQ:HASH, as printed by `audit head`".to_owned())?;
    let seq = seq
        .parse::<i64>()
        .map_err(|_| format!("`{seq}` is not an event number"))?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the hash must be 64 hexadecimal digits".to_owned());
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

/// Verifies the chain (exit code 1 when broken) or prints its head.
pub(super) async fn run(cx: &Context<'_>, what: AuditCommand) -> anyhow::Result<i32> {
    let db = cx.open().await?;
    match what {
        AuditCommand::Verify { from, anchor } => {
            let checked = match crate::audit::verify(&db, from.max(1)).await? {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("audit trail broken: {e}");
                    return Ok(1);
                }
            };
            if let Some((seq, hash)) = anchor
                && let Err(e) = crate::audit::check_anchor(&db, seq, &hash).await?
            {
                eprintln!("audit trail broken: {e}");
                return Ok(1);
            }
            println!("audit trail intact: {checked} events checked");
        }
        AuditCommand::Head => match crate::audit::head(&db).await? {
            Some((seq, hash)) => println!("{seq}:{hash}"),
            None => println!("0:{}", crate::audit::GENESIS),
        },
    }
    Ok(0)
}
