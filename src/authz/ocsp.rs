//! Certificate status from an OCSP responder (RFC 6960) at sign-in, as NCA RK's responder gives
//! it: one request per login for the signer's certificate, with a fresh nonce; the answer counts
//! only if it is a successful basic response, echoes the nonce, names the certificate, is within
//! its validity, and is signed by the certificate's issuer or by a responder certificate that
//! issuer made for OCSP signing. Anything else is no answer, and sign-in fails closed (or falls
//! back to the CRLs, when the server has them: see [`super::certificate`]).
//!
//! Formats are RustCrypto's `x509-ocsp`; signatures are checked by [`super::signature`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha1::Digest as _;
use x509_cert::Certificate;
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::ext::Nonce;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    TbsRequest, Version,
};

/// `id-sha1`: the hash every responder accepts in a CertID.
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// `id-pkix-ocsp-basic`.
const BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// `id-kp-OCSPSigning`.
const OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// Largest response read (a response with a responder certificate is a few kilobytes).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long a login waits for the responder.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Clock difference tolerated between the responder and this server.
const SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// What the responder said about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcspStatus {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked,
    /// No usable answer, and why.
    Unknown(&'static str),
}

/// An OCSP responder sign-in asks.
pub struct Ocsp {
    url: String,
    client: reqwest::Client,
}

impl Ocsp {
    /// A responder at an `http://` URL (OCSP answers are signed; NCA RK serves them over HTTP).
    pub fn new(url: &str) -> anyhow::Result<Ocsp> {
        if !url.starts_with("http://") {
            anyhow::bail!("--ocsp-url {url}: expected an http:// URL");
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Ocsp {
            url: url.to_owned(),
            client,
        })
    }

    /// The status of `cert`, issued by `issuer`, at `now`.
    pub async fn status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        now: DateTime<Utc>,
    ) -> OcspStatus {
        let nonce: [u8; 16] = rand::random();
        let Some(id) = cert_id(cert, issuer) else {
            return OcspStatus::Unknown("the certificate cannot be named to the responder");
        };
        let Some(request) = request(&id, &nonce) else {
            return OcspStatus::Unknown("the certificate cannot be named to the responder");
        };
        match self.post(request).await {
            Ok(body) => judge(&body, &id, &nonce, issuer, now),
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "the OCSP responder did not answer");
                OcspStatus::Unknown("the OCSP responder did not answer")
            }
        }
    }

    async fn post(&self, request: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let mut resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/ocsp-request")
            .body(request)
            .send()
            .await?
            .error_for_status()?;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                anyhow::bail!("the response is larger than {MAX_RESPONSE_BYTES} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The CertID of `cert`: SHA-1 of the issuer's name and key, and the serial number.
fn cert_id(cert: &Certificate, issuer: &Certificate) -> Option<CertId> {
    let name = issuer.tbs_certificate.subject.to_der().ok()?;
    let key = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    Some(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: SHA1,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: OctetString::new(sha1::Sha1::digest(&name).to_vec()).ok()?,
        issuer_key_hash: OctetString::new(sha1::Sha1::digest(key).to_vec()).ok()?,
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// An unsigned request for `id` carrying `nonce`.
fn request(id: &CertId, nonce: &[u8]) -> Option<Vec<u8>> {
    let nonce = Nonce::new(nonce.to_vec())
        .ok()?
        .to_extension(&Name::default(), &[])
        .ok()?;
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: id.clone(),
                single_request_extensions: None,
            }],
            request_extensions: Some(vec![nonce]),
        },
        optional_signature: None,
    }
    .to_der()
    .ok()
}

fn time(t: &x509_ocsp::OcspGeneralizedTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t.0.to_system_time())
}

/// Whether `responder` may sign answers about `issuer`'s certificates: it is the issuer, or a
/// certificate the issuer signed for OCSP signing, valid at `now`.
fn authorized(responder: &Certificate, issuer: &Certificate, now: DateTime<Utc>) -> bool {
    if responder == issuer {
        return true;
    }
    let validity = &responder.tbs_certificate.validity;
    let valid = DateTime::<Utc>::from(validity.not_before.to_system_time()) <= now
        && now <= DateTime::<Utc>::from(validity.not_after.to_system_time());
    let for_ocsp = responder
        .tbs_certificate
        .get::<ExtendedKeyUsage>()
        .ok()
        .flatten()
        .is_some_and(|(_, eku)| eku.0.contains(&OCSP_SIGNING));
    valid && for_ocsp && super::signature::issued_by(responder, issuer)
}

/// Reads a responder's answer to the request for `id` with `nonce`.
fn judge(
    body: &[u8],
    id: &CertId,
    nonce: &[u8],
    issuer: &Certificate,
    now: DateTime<Utc>,
) -> OcspStatus {
    use OcspStatus::Unknown;
    let Ok(response) = OcspResponse::from_der(body) else {
        return Unknown("the OCSP response is malformed");
    };
    if response.response_status != OcspResponseStatus::Successful {
        return Unknown("the OCSP responder refused the request");
    }
    let Some(bytes) = response.response_bytes.filter(|b| b.response_type == BASIC) else {
        return Unknown("the OCSP response is not a basic response");
    };
    let Ok(basic) = BasicOcspResponse::from_der(bytes.response.as_bytes()) else {
        return Unknown("the OCSP response is malformed");
    };
    if basic.nonce().is_none_or(|n| n.0.as_bytes() != nonce) {
        return Unknown("the OCSP response does not carry this request's nonce");
    }
    let Ok(signed) = basic.tbs_response_data.to_der() else {
        return Unknown("the OCSP response is malformed");
    };
    let signers = std::iter::once(issuer).chain(basic.certs.iter().flatten());
    let signed_by_authority = signers.filter(|r| authorized(r, issuer, now)).any(|r| {
        super::signature::verify(
            &r.tbs_certificate.subject_public_key_info,
            &basic.signature_algorithm,
            &signed,
            basic.signature.raw_bytes(),
        )
    });
    if !signed_by_authority {
        return Unknown("the OCSP response is not signed by the issuer or its responder");
    }
    let single = basic.tbs_response_data.responses.iter().find(|s| {
        s.cert_id.hash_algorithm.oid == id.hash_algorithm.oid
            && s.cert_id.issuer_name_hash == id.issuer_name_hash
            && s.cert_id.issuer_key_hash == id.issuer_key_hash
            && s.cert_id.serial_number == id.serial_number
    });
    let Some(single) = single else {
        return Unknown("the OCSP response does not name the certificate");
    };
    if time(&single.this_update) > now + SKEW
        || single
            .next_update
            .as_ref()
            .is_some_and(|n| time(n) < now - SKEW)
    {
        return Unknown("the OCSP response is outside its validity");
    }
    match single.cert_status {
        CertStatus::Good(_) => OcspStatus::Good,
        CertStatus::Revoked(_) => OcspStatus::Revoked,
        CertStatus::Unknown(_) => Unknown("the OCSP responder does not know the certificate"),
    }
}
