//! `seed`: reference data, and synthetic demo data at a chosen scale.

use super::Context;
use crate::seed;

/// What to seed.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Regions, budget classification, organizations and their head users.
    #[arg(long)]
    reference: bool,
    /// Synthetic budgets, objects and documents (implies --reference).
    #[arg(long)]
    demo: bool,
    /// Size of the demo data: about 100 000 amount rows per unit.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
}

/// Seeds what `args` asks for.
pub(super) async fn run(cx: &Context<'_>, args: SeedArgs) -> anyhow::Result<i32> {
    if !args.reference && !args.demo {
        anyhow::bail!("nothing to seed: pass --reference and/or --demo");
    }
    let db = cx.open().await?;
    let started = std::time::Instant::now();
    let report = seed::run(&db, args.demo.then_some(args.scale as usize), true).await?;
    if !report.reference_inserted {
        eprintln!("reference data already present");
    }
    if let Some(c) = report.demo {
        eprintln!(
            "demo data: {} budget lines, {} amounts, {} objects, {} documents in {:.1}s",
            c.lines,
            c.amounts,
            c.objects,
            c.documents,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(0)
}
