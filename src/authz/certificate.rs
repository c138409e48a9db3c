//! Certificate login modelled on NCA RK legal-entity certificates: the chain is verified up to
//! configured trust anchors, the leaf must allow client authentication and carry the legal-entity
//! role (1.2.398.3.3.4.1.2 or a child), and it must have signed the login challenge. The subject
//! names the person (`SERIALNUMBER=IIN…`) and the organization (`OU=BIN…`).
//!
//! Supported signatures: RSA (PKCS#1 v1.5, PSS), ECDSA (P-256, P-384), and GOST R 34.10-2012 /
//! ST RK GOST R 34.10-2015 with Streebog (256 and 512 bit) in chains and CMS. The older GOST
//! 34.310-2004 (with the GOST 34.311-95 hash) is not verified: see [`super::gost`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::oid_registry::OID_X509_SERIALNUMBER;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::domain::ident::{Bin, Iin};

/// The legal-entity role: an employee of an organization signing on its behalf.
pub const LEGAL_ENTITY_ROLE: &str = "1.2.398.3.3.4.1.2";
/// The individual role: a person acting for themselves.
pub const INDIVIDUAL_ROLE: &str = "1.2.398.3.3.4.1.1";

/// Why the lists give no status.
const NO_LIST: &str = "no current CRL of its issuer";

const ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// Why a certificate login was refused. Each has a stable reason code for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The chain could not be read.
    #[error("the certificate chain is not a valid PEM or DER certificate list")]
    Malformed,
    /// Past its validity period.
    #[error("the certificate has expired")]
    Expired,
    /// Before its validity period.
    #[error("the certificate is not valid yet")]
    NotYetValid,
    /// Issued by itself rather than a certification authority.
    #[error("the certificate is self-signed")]
    SelfSigned,
    /// Not issued (through the given intermediates) by a trusted authority.
    #[error("the certificate is not issued by a trusted certification authority")]
    UntrustedIssuer,
    /// No client-authentication extended key usage.
    #[error("the certificate does not allow client authentication")]
    NotClientAuth,
    /// A certificate of an individual, or without the legal-entity role.
    #[error("the certificate is not a legal-entity certificate (role {LEGAL_ENTITY_ROLE})")]
    NotLegalEntity,
    /// No valid `SERIALNUMBER=IIN…` in the subject.
    #[error("the certificate subject has no valid IIN (SERIALNUMBER=IIN…)")]
    MissingIin,
    /// No valid `OU=BIN…` in the subject.
    #[error("the certificate subject has no valid BIN (OU=BIN…)")]
    MissingBin,
    /// The signature over the challenge does not verify with the certificate's key.
    #[error("the signature over the challenge does not verify with the certificate's key")]
    BadSignature,
    /// The signed content (or its digest) is not the challenge.
    #[error("the signed content is not the challenge")]
    ContentMismatch,
    /// The CMS does not carry the signer's certificate.
    #[error("the CMS does not carry the signer's certificate")]
    SignerCertificateMissing,
    /// Revoked by its issuer; where that was learnt (CRL, delta CRL, OCSP).
    #[error("the certificate is revoked ({0})")]
    Revoked(&'static str),
    /// No fresh revocation status could be had, and why.
    #[error("the certificate's revocation status is unknown: {0}")]
    StatusUnknown(&'static str),
    /// A digest or signature algorithm this server does not verify.
    #[error("the signature uses an algorithm this server does not verify")]
    UnsupportedAlgorithm,
    /// Any other chain problem.
    #[error("the certificate chain is invalid: {0}")]
    Invalid(String),
}

impl CertError {
    /// Stable reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            CertError::Malformed => "CERT_MALFORMED",
            CertError::Expired => "CERT_EXPIRED",
            CertError::NotYetValid => "CERT_NOT_YET_VALID",
            CertError::SelfSigned => "CERT_SELF_SIGNED",
            CertError::UntrustedIssuer => "CERT_UNTRUSTED_ISSUER",
            CertError::NotClientAuth => "CERT_NOT_CLIENT_AUTH",
            CertError::NotLegalEntity => "CERT_NOT_LEGAL_ENTITY",
            CertError::MissingIin => "CERT_NO_IIN",
            CertError::MissingBin => "CERT_NO_BIN",
            CertError::BadSignature => "SIGNATURE_INVALID",
            CertError::ContentMismatch => "CMS_CONTENT_MISMATCH",
            CertError::SignerCertificateMissing => "CMS_SIGNER_CERTIFICATE_MISSING",
            CertError::UnsupportedAlgorithm => "ALGORITHM_UNSUPPORTED",
            CertError::Revoked(_) => "CERT_REVOKED",
            CertError::StatusUnknown(_) => "CERT_STATUS_UNKNOWN",
            CertError::Invalid(_) => "CERT_INVALID",
        }
    }
}

/// Certification authorities whose certificates are trusted for login.
pub struct TrustAnchors {
    certs: Vec<CertificateDer<'static>>,
}

impl TrustAnchors {
    /// Reads one or more PEM certificates.
    pub fn from_pem(pem: &[u8]) -> anyhow::Result<TrustAnchors> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("trust anchors: {e}"))?;
        if certs.is_empty() {
            anyhow::bail!("trust anchors: no certificate found");
        }
        for c in &certs {
            webpki::anchor_from_trusted_cert(c)
                .map_err(|e| anyhow::anyhow!("trust anchors: {e:?}"))?;
        }
        Ok(TrustAnchors { certs })
    }

    /// The anchors' certificates, for finding a leaf's issuer.
    fn certificates(&self) -> impl Iterator<Item = &CertificateDer<'static>> {
        self.certs.iter()
    }

    fn anchors(&self) -> Vec<TrustAnchor<'_>> {
        self.certs
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
            .collect()
    }
}

/// Reads a chain given as PEM blocks and/or base64 DER strings, leaf first.
pub fn parse_chain(items: &[String]) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let mut out = Vec::new();
    for item in items {
        if item.contains("-----BEGIN") {
            for c in CertificateDer::pem_slice_iter(item.as_bytes()) {
                out.push(c.map_err(|_| CertError::Malformed)?);
            }
        } else {
            let der = STANDARD
                .decode(item.trim())
                .map_err(|_| CertError::Malformed)?;
            out.push(CertificateDer::from(der));
        }
    }
    if out.is_empty() {
        Err(CertError::Malformed)
    } else {
        Ok(out)
    }
}

/// Who a verified certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedIdentity {
    /// The person.
    pub iin: Iin,
    /// The organization.
    pub bin: Bin,
    /// The certificate's serial number (hex).
    pub serial: String,
    /// The certificate's issuer (distinguished name).
    pub issuer: String,
}

fn subject_value(
    cert: &X509Certificate<'_>,
    oid: &x509_parser::der_parser::Oid<'_>,
    prefix: &str,
) -> Option<String> {
    cert.subject()
        .iter_by_oid(oid)
        .filter_map(|a| a.as_str().ok())
        .find_map(|v| v.strip_prefix(prefix).map(str::to_owned))
}

/// The RSA and ECDSA algorithms signatures are checked with.
pub fn signature_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    ALGORITHMS
}

/// Verifies a login: `chain` (leaf first) up to `anchors` at `now`, the leaf's usage and role,
/// its `signature` over `challenge`, then its revocation status.
pub async fn verify_login(
    trust: Trust<'_>,
    chain: &[CertificateDer<'_>],
    challenge: &[u8],
    signature: &[u8],
    now: DateTime<Utc>,
) -> Result<CertifiedIdentity, CertError> {
    let identity = {
        let (leaf_der, _) = chain.split_first().ok_or(CertError::Malformed)?;
        let end_entity = EndEntityCert::try_from(leaf_der).map_err(|_| CertError::Malformed)?;
        let identity = verify_certificate(trust, chain, now, trust.lists_decide())?;
        let signed = ALGORITHMS.iter().any(|alg| {
            end_entity
                .verify_signature(*alg, challenge, signature)
                .is_ok()
        });
        if !signed {
            return Err(CertError::BadSignature);
        }
        identity
    };
    online_status(trust, chain, now).await?;
    Ok(identity)
}

/// Verifies a login signed as CMS (NCALayer): the CMS over `nonce`, its signer's certificate
/// (with the intermediates the CMS carries) up to `anchors` at `now`, usage and role, and the
/// signature with the signer's key (RSA, ECDSA or GOST).
pub async fn verify_cms_login(
    trust: Trust<'_>,
    cms_der: &[u8],
    nonce: &[u8],
    now: DateTime<Utc>,
) -> Result<CertifiedIdentity, CertError> {
    let signed = super::cms::parse(cms_der, nonce)?;
    let identity = {
        let identity = verify_certificate(trust, &signed.chain, now, trust.lists_decide())?;
        let leaf = signed.chain.first().ok_or(CertError::Malformed)?;
        let end_entity = EndEntityCert::try_from(leaf).map_err(|_| CertError::Malformed)?;
        signed.verify_signature(&end_entity)?;
        identity
    };
    online_status(trust, &signed.chain, now).await?;
    Ok(identity)
}

/// What a certificate is checked against: the trusted authorities and, when configured, the
/// revocation lists and an OCSP responder (then a certificate without a fresh status from either
/// is refused).
#[derive(Clone, Copy)]
pub struct Trust<'a> {
    /// The certification authorities.
    pub anchors: &'a TrustAnchors,
    /// The CRLs, if revocation is checked by lists.
    pub revocation: Option<&'a super::revocation::Revocation>,
    /// The OCSP responder, if revocation is checked online.
    pub ocsp: Option<&'a super::ocsp::Ocsp>,
}

impl Trust<'_> {
    /// Whether the lists alone decide a certificate's status: without a responder, a certificate
    /// with no fresh list of its issuer is refused; with one, the lists refuse only what they
    /// name and the responder decides the rest.
    fn lists_decide(&self) -> bool {
        self.ocsp.is_none()
    }
}

/// The leaf of `chain` and its issuer (among the chain's other certificates and the anchors).
fn leaf_and_issuer(
    trust: Trust<'_>,
    chain: &[CertificateDer<'_>],
) -> Result<(x509_cert::Certificate, x509_cert::Certificate), CertError> {
    use der::Decode;
    let (leaf_der, rest) = chain.split_first().ok_or(CertError::Malformed)?;
    let leaf = x509_cert::Certificate::from_der(leaf_der).map_err(|_| CertError::Malformed)?;
    let issuer = rest
        .iter()
        .map(|c| c.as_ref())
        .chain(trust.anchors.certificates().map(|c| c.as_ref()))
        .filter_map(|der| x509_cert::Certificate::from_der(der).ok())
        .find(|c| super::signature::issued_by(&leaf, c))
        .ok_or(CertError::UntrustedIssuer)?;
    Ok((leaf, issuer))
}

/// The responder's word on the leaf of a verified chain. Without an answer, a fresh list of the
/// issuer that does not name the certificate decides; with neither, the login fails closed.
async fn online_status(
    trust: Trust<'_>,
    chain: &[CertificateDer<'_>],
    now: DateTime<Utc>,
) -> Result<(), CertError> {
    let Some(ocsp) = trust.ocsp else {
        return Ok(());
    };
    let (leaf, issuer) = leaf_and_issuer(trust, chain)?;
    match ocsp.status(&leaf, &issuer, now).await {
        super::ocsp::OcspStatus::Good => Ok(()),
        super::ocsp::OcspStatus::Revoked => Err(CertError::Revoked("OCSP")),
        super::ocsp::OcspStatus::Unknown(why) => match trust.revocation {
            Some(_) => verify_certificate(trust, chain, now, true)
                .map(|_| ())
                .map_err(|e| match e {
                    CertError::StatusUnknown(_) => CertError::StatusUnknown(why),
                    other => other,
                }),
            None => Err(CertError::StatusUnknown(why)),
        },
    }
}

/// Verifies `chain` (leaf first) up to the anchors at `now`, its status in the revocation lists
/// (`lists_decide`: a certificate without a fresh list of its issuer is refused), and the leaf's
/// usage and role; the person and organization it names.
fn verify_certificate(
    trust: Trust<'_>,
    chain: &[CertificateDer<'_>],
    now: DateTime<Utc>,
    lists_decide: bool,
) -> Result<CertifiedIdentity, CertError> {
    let anchors = trust.anchors;
    let (leaf_der, intermediates) = chain.split_first().ok_or(CertError::Malformed)?;
    let (_, leaf) = X509Certificate::from_der(leaf_der).map_err(|_| CertError::Malformed)?;
    let end_entity = EndEntityCert::try_from(leaf_der).map_err(|_| CertError::Malformed)?;

    let secs = u64::try_from(now.timestamp()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let anchors = anchors.anchors();
    let algorithms: Vec<&dyn SignatureVerificationAlgorithm> = ALGORITHMS
        .iter()
        .copied()
        .chain(super::gost::chain_algorithms().iter().copied())
        .collect();
    let fresh = trust.revocation.map(|r| r.fresh_at(now));
    let lists = fresh.as_ref().map(|f| f.lists()).unwrap_or_default();
    let revocation = match trust.revocation {
        None => None,
        // The leaf's issuer must have a current list: without one the status is unknown.
        Some(_) if lists_decide => Some(
            webpki::RevocationOptionsBuilder::new(&lists)
                .map_err(|_| CertError::StatusUnknown(NO_LIST))?
                .with_depth(webpki::RevocationCheckDepth::EndEntity)
                .with_status_policy(webpki::UnknownStatusPolicy::Deny)
                // Freshness (with the operator's grace) was decided when the lists were picked.
                .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
                .build(),
        ),
        // The responder decides what the lists do not name.
        Some(_) => webpki::RevocationOptionsBuilder::new(&lists).ok().map(|b| {
            b.with_depth(webpki::RevocationCheckDepth::EndEntity)
                .with_status_policy(webpki::UnknownStatusPolicy::Allow)
                .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
                .build()
        }),
    };
    if let Err(e) = end_entity.verify_for_usage(
        &algorithms,
        &anchors,
        intermediates,
        time,
        KeyUsage::client_auth(),
        revocation,
        None,
    ) {
        return Err(match e {
            webpki::Error::CertRevoked => CertError::Revoked("CRL"),
            webpki::Error::UnknownRevocationStatus | webpki::Error::CrlExpired { .. } => {
                CertError::StatusUnknown(NO_LIST)
            }
            webpki::Error::InvalidCrlSignatureForPublicKey | webpki::Error::IssuerNotCrlSigner => {
                CertError::StatusUnknown("the issuer's CRL is not signed by the issuer")
            }
            webpki::Error::CertExpired { .. } => CertError::Expired,
            webpki::Error::CertNotValidYet { .. } => CertError::NotYetValid,
            webpki::Error::UnknownIssuer if leaf.subject() == leaf.issuer() => {
                CertError::SelfSigned
            }
            webpki::Error::UnknownIssuer => CertError::UntrustedIssuer,
            webpki::Error::RequiredEkuNotFoundContext(_) => CertError::NotClientAuth,
            other => CertError::Invalid(format!("{other:?}")),
        });
    }

    if let Some(lists) = trust.revocation {
        let (cert, issuer) = leaf_and_issuer(trust, chain)?;
        match lists.delta_status(&cert, &issuer, now) {
            // With a responder configured, it decides what the lists cannot.
            Err(CertError::StatusUnknown(_)) if !lists_decide => {}
            other => other?,
        }
    }

    let eku = leaf
        .extended_key_usage()
        .ok()
        .flatten()
        .ok_or(CertError::NotClientAuth)?;
    if !eku.value.client_auth {
        return Err(CertError::NotClientAuth);
    }
    let roles: Vec<String> = eku.value.other.iter().map(|o| o.to_id_string()).collect();
    let is_role = |r: &String, base: &str| r == base || r.starts_with(&format!("{base}."));
    if !roles.iter().any(|r| is_role(r, LEGAL_ENTITY_ROLE))
        || roles.iter().any(|r| is_role(r, INDIVIDUAL_ROLE))
    {
        return Err(CertError::NotLegalEntity);
    }

    let iin = subject_value(&leaf, &OID_X509_SERIALNUMBER, "IIN")
        .and_then(|v| Iin::parse(&v).ok())
        .ok_or(CertError::MissingIin)?;
    let ou = x509_parser::oid_registry::OID_X509_ORGANIZATIONAL_UNIT;
    let bin = subject_value(&leaf, &ou, "BIN")
        .and_then(|v| Bin::parse(&v).ok())
        .ok_or(CertError::MissingBin)?;
    Ok(CertifiedIdentity {
        iin,
        bin,
        serial: leaf.raw_serial_as_string().replace(':', ""),
        issuer: leaf.issuer().to_string(),
    })
}
