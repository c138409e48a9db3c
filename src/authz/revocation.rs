//! Certificate revocation for sign-in: CRLs loaded from files and `http://` URLs at start and
//! refreshed on a schedule, each kept only while fresh (its `nextUpdate`, plus an explicit grace
//! period if the operator sets one). `rustls-webpki` checks a CRL's signature against the issuer
//! in the chain it verifies and looks the signer's certificate up in it; when no fresh CRL of the
//! issuer is held, the status is unknown and the login fails closed.
//!
//! Delta CRLs are refused when loaded (the verifier supports full CRLs only); OCSP is not
//! consulted yet.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use der::Decode;
use webpki::{CertRevocationList, OwnedCertRevocationList};

/// Largest CRL read (NCA RK's full CRLs are a few megabytes).
const MAX_CRL_BYTES: usize = 64 * 1024 * 1024;

/// One loaded CRL and when it stops being fresh.
struct Loaded {
    source: String,
    crl: CertRevocationList<'static>,
    next_update: DateTime<Utc>,
}

/// The CRLs sign-in checks certificates against.
pub struct Revocation {
    sources: Vec<String>,
    grace: chrono::Duration,
    crls: ArcSwap<Vec<Arc<Loaded>>>,
}

/// Reads a CRL (DER or PEM) from a file or an `http://` URL.
async fn fetch(source: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = if source.starts_with("http://") || source.starts_with("https://") {
        let resp = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?
            .get(source)
            .send()
            .await?
            .error_for_status()?;
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_CRL_BYTES as u64)
        {
            anyhow::bail!("larger than {MAX_CRL_BYTES} bytes");
        }
        resp.bytes().await?.to_vec()
    } else {
        tokio::fs::read(source).await?
    };
    if bytes.len() > MAX_CRL_BYTES {
        anyhow::bail!("larger than {MAX_CRL_BYTES} bytes");
    }
    if bytes.starts_with(b"-----BEGIN") {
        use rustls_pki_types::pem::PemObject;
        let der = rustls_pki_types::CertificateRevocationListDer::from_pem_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("not a PEM CRL: {e:?}"))?;
        return Ok(der.as_ref().to_vec());
    }
    Ok(bytes)
}

/// Parses a CRL for the verifier, with its `nextUpdate`.
fn parse(source: &str, der: &[u8]) -> anyhow::Result<Loaded> {
    let list = x509_cert::crl::CertificateList::from_der(der)
        .map_err(|e| anyhow::anyhow!("not a CRL: {e}"))?;
    let next = list
        .tbs_cert_list
        .next_update
        .ok_or_else(|| anyhow::anyhow!("the CRL has no nextUpdate"))?;
    let next_update = DateTime::<Utc>::from(next.to_system_time());
    let owned = OwnedCertRevocationList::from_der(der).map_err(|e| match e {
        webpki::Error::UnsupportedDeltaCrl => anyhow::anyhow!("delta CRLs are not supported"),
        other => anyhow::anyhow!("unsupported CRL: {other:?}"),
    })?;
    Ok(Loaded {
        source: source.to_owned(),
        crl: CertRevocationList::Owned(owned),
        next_update,
    })
}

impl Revocation {
    /// Loads every source; fails naming the first that cannot be read or parsed (a server that
    /// was told to check revocation does not start without its lists).
    pub async fn load(sources: Vec<String>, grace: Duration) -> anyhow::Result<Revocation> {
        let mut crls = Vec::new();
        for s in &sources {
            let der = fetch(s)
                .await
                .map_err(|e| anyhow::anyhow!("--crl {s}: {e}"))?;
            crls.push(Arc::new(
                parse(s, &der).map_err(|e| anyhow::anyhow!("--crl {s}: {e}"))?,
            ));
        }
        Ok(Revocation {
            sources,
            grace: chrono::Duration::from_std(grace).unwrap_or_default(),
            crls: ArcSwap::from_pointee(crls),
        })
    }

    /// Reads every source again; a source that fails keeps its last list (which goes stale on
    /// its own `nextUpdate`), and the failure is logged.
    pub async fn refresh(&self) {
        let current = self.crls.load_full();
        let mut next = Vec::with_capacity(self.sources.len());
        for s in &self.sources {
            match fetch(s).await.and_then(|der| parse(s, &der)) {
                Ok(l) => next.push(Arc::new(l)),
                Err(e) => {
                    tracing::warn!(source = %s, error = %e, "refreshing a CRL failed; keeping the last one");
                    if let Some(old) = current.iter().find(|l| &l.source == s) {
                        next.push(old.clone());
                    }
                }
            }
        }
        self.crls.store(Arc::new(next));
    }

    /// Refreshes every `every` while the returned handle's owner keeps the revocation alive.
    pub fn spawn_refresh(self: &Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(r) = weak.upgrade() else { return };
                r.refresh().await;
            }
        });
    }

    /// The lists fresh at `now` (within `nextUpdate` plus the grace period).
    pub fn fresh_at(&self, now: DateTime<Utc>) -> FreshCrls {
        FreshCrls(
            self.crls
                .load()
                .iter()
                .filter(|l| now <= l.next_update + self.grace)
                .cloned()
                .collect(),
        )
    }
}

/// The CRLs fresh at one moment, handed to the verifier.
pub struct FreshCrls(Vec<Arc<Loaded>>);

impl FreshCrls {
    /// The lists, for `webpki::RevocationOptionsBuilder`.
    pub fn lists(&self) -> Vec<&CertRevocationList<'static>> {
        self.0.iter().map(|l| &l.crl).collect()
    }
}
