//! Certificate revocation lists for sign-in: full and delta CRLs loaded from files and `http://`
//! URLs at start and refreshed on a schedule, each kept only while fresh (its `nextUpdate`, plus
//! an explicit grace period if the operator sets one). `rustls-webpki` checks a full CRL's
//! signature against the issuer in the chain it verifies and looks the signer's certificate up
//! in it; when no fresh full CRL of the issuer is held, the status is unknown and the login fails
//! closed.
//!
//! Delta CRLs (RFC 5280 §5.2.4), which NCA RK publishes between its full lists, are checked here,
//! since the verifier reads full lists only: a delta of the certificate's issuer must be signed
//! by that issuer, fresh, and based on a full list no newer than the one held; a certificate it
//! lists (other than with `removeFromCRL`) is revoked. A stale delta of the issuer leaves the
//! status unknown, as a stale full list does.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use num_bigint::BigUint;
use webpki::{CertRevocationList, OwnedCertRevocationList};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::name::Name;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// Largest CRL read (NCA RK's full CRLs are a few megabytes).
const MAX_CRL_BYTES: usize = 64 * 1024 * 1024;

/// `id-ce-cRLNumber`, `id-ce-deltaCRLIndicator` and `id-ce-cRLReasons`.
const CRL_NUMBER: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.20");
const DELTA_INDICATOR: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.27");
const REASON_CODE: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.21");

/// One loaded CRL: a full list for the verifier, or a delta checked here.
struct Loaded {
    source: String,
    issuer: Name,
    /// Its `cRLNumber`, when it has one.
    number: Option<BigUint>,
    next_update: DateTime<Utc>,
    kind: Kind,
}

enum Kind {
    Full(CertRevocationList<'static>),
    Delta(Delta),
}

/// A delta CRL, kept whole: its signature is checked against the issuer found in the chain of
/// each login, since intermediates arrive with the login rather than with the list.
struct Delta {
    /// The `BaseCRLNumber`: the full list it updates.
    base: BigUint,
    /// Serial numbers (DER contents) it lists, with whether the entry removes an earlier one.
    entries: Vec<(Vec<u8>, bool)>,
    tbs: Vec<u8>,
    algorithm: AlgorithmIdentifierOwned,
    signature: Vec<u8>,
}

/// The CRLs sign-in checks certificates against.
pub struct Revocation {
    sources: Vec<String>,
    grace: chrono::Duration,
    crls: ArcSwap<Vec<Arc<Loaded>>>,
}

/// Reads a CRL (DER or PEM) from a file or an `http://` URL (CRLs are signed; NCA RK publishes
/// them over HTTP, and this build carries no TLS client).
async fn fetch(source: &str) -> anyhow::Result<Vec<u8>> {
    if source.starts_with("https://") {
        anyhow::bail!("expected a file or an http:// URL");
    }
    let bytes = if source.starts_with("http://") {
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

/// The INTEGER value of a CRL extension.
fn integer(list: &CertificateList, oid: der::asn1::ObjectIdentifier) -> Option<BigUint> {
    let ext = list
        .tbs_cert_list
        .crl_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oid)?;
    let value = der::asn1::Uint::from_der(ext.extn_value.as_bytes()).ok()?;
    Some(BigUint::from_bytes_be(value.as_bytes()))
}

/// Parses a CRL: a full list for the verifier, or a delta.
fn parse(source: &str, der: &[u8]) -> anyhow::Result<Loaded> {
    let list = CertificateList::from_der(der).map_err(|e| anyhow::anyhow!("not a CRL: {e}"))?;
    let next = list
        .tbs_cert_list
        .next_update
        .ok_or_else(|| anyhow::anyhow!("the CRL has no nextUpdate"))?;
    let next_update = DateTime::<Utc>::from(next.to_system_time());
    let number = integer(&list, CRL_NUMBER);
    let kind = match integer(&list, DELTA_INDICATOR) {
        Some(base) => Kind::Delta(delta(&list, base)?),
        None => Kind::Full(CertRevocationList::Owned(
            OwnedCertRevocationList::from_der(der)
                .map_err(|e| anyhow::anyhow!("unsupported CRL: {e:?}"))?,
        )),
    };
    Ok(Loaded {
        source: source.to_owned(),
        issuer: list.tbs_cert_list.issuer.clone(),
        number,
        next_update,
        kind,
    })
}

fn delta(list: &CertificateList, base: BigUint) -> anyhow::Result<Delta> {
    let entries = list
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|r| {
            let removed = r
                .crl_entry_extensions
                .iter()
                .flatten()
                .filter(|e| e.extn_id == REASON_CODE)
                .any(|e| {
                    CrlReason::from_der(e.extn_value.as_bytes())
                        .is_ok_and(|c| c == CrlReason::RemoveFromCRL)
                });
            (r.serial_number.as_bytes().to_vec(), removed)
        })
        .collect();
    Ok(Delta {
        base,
        entries,
        tbs: list
            .tbs_cert_list
            .to_der()
            .map_err(|e| anyhow::anyhow!("not a CRL: {e}"))?,
        algorithm: list.signature_algorithm.clone(),
        signature: list.signature.raw_bytes().to_vec(),
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

    /// What the fresh delta CRLs say of `cert`, issued by `issuer`, at `now`: nothing (no delta
    /// of the issuer), revoked, or unknown (a delta of the issuer is stale, badly signed, or
    /// based on a full list newer than the one held).
    pub fn delta_status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        now: DateTime<Utc>,
    ) -> Result<(), super::certificate::CertError> {
        use super::certificate::CertError;
        let lists = self.crls.load();
        let of_issuer = |l: &&Arc<Loaded>| l.issuer == cert.tbs_certificate.issuer;
        let full_number = lists
            .iter()
            .filter(of_issuer)
            .filter(|l| matches!(l.kind, Kind::Full(_)) && now <= l.next_update + self.grace)
            .filter_map(|l| l.number.clone())
            .max();
        let serial = cert.tbs_certificate.serial_number.as_bytes();
        for l in lists.iter().filter(of_issuer) {
            let Kind::Delta(d) = &l.kind else { continue };
            if now > l.next_update + self.grace {
                return Err(CertError::StatusUnknown("the issuer's delta CRL is stale"));
            }
            let key = &issuer.tbs_certificate.subject_public_key_info;
            if !super::signature::verify(key, &d.algorithm, &d.tbs, &d.signature) {
                return Err(CertError::StatusUnknown(
                    "the issuer's delta CRL is not signed by the issuer",
                ));
            }
            if full_number.as_ref().is_none_or(|n| *n < d.base) {
                return Err(CertError::StatusUnknown(
                    "the delta CRL needs a newer full CRL than the one held",
                ));
            }
            if d.entries.iter().any(|(s, removed)| s == serial && !removed) {
                return Err(CertError::Revoked("delta CRL"));
            }
        }
        Ok(())
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
                .filter(|l| matches!(l.kind, Kind::Full(_)) && now <= l.next_update + self.grace)
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
        self.0
            .iter()
            .filter_map(|l| match &l.kind {
                Kind::Full(crl) => Some(crl),
                Kind::Delta(_) => None,
            })
            .collect()
    }
}
