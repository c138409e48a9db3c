//! Checks a signature made with a certificate's key (RSA, ECDSA or GOST) over data other than a
//! certificate chain: OCSP responses, responder certificates and delta CRLs. Algorithms are matched
//! by their identifiers byte for byte, as `rustls-webpki` matches them in chains, so a response can
//! only be checked with the algorithm it names and a key of the kind that algorithm takes.

use der::Encode;
use x509_cert::Certificate;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// The DER contents of an algorithm identifier (the OID and parameters, without the SEQUENCE
/// header), the form webpki's algorithms are named in.
fn contents(alg: &AlgorithmIdentifierOwned) -> Option<Vec<u8>> {
    let mut out = alg.oid.to_der().ok()?;
    if let Some(p) = &alg.parameters {
        out.extend(p.to_der().ok()?);
    }
    Some(out)
}

/// Whether `signature` over `message` verifies with `key` under `algorithm`.
pub fn verify(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let (Some(key_alg), Some(sig_alg)) = (contents(&key.algorithm), contents(algorithm)) else {
        return false;
    };
    super::certificate::signature_algorithms()
        .iter()
        .chain(super::gost::chain_algorithms())
        .filter(|a| {
            a.public_key_alg_id().as_ref() == key_alg.as_slice()
                && a.signature_alg_id().as_ref() == sig_alg.as_slice()
        })
        .any(|a| {
            a.verify_signature(key.subject_public_key.raw_bytes(), message, signature)
                .is_ok()
        })
}

/// Whether `cert` was signed by `issuer`'s key.
pub fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    cert.tbs_certificate.issuer == issuer.tbs_certificate.subject
        && cert.tbs_certificate.to_der().is_ok_and(|tbs| {
            verify(
                &issuer.tbs_certificate.subject_public_key_info,
                &cert.signature_algorithm,
                &tbs,
                cert.signature.raw_bytes(),
            )
        })
}
