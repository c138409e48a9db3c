//! Sign-in with a CMS SignedData as NCALayer's `sign` returns it: the login nonce signed by the
//! employee's legal-entity key, attached or detached, the signer's certificate (and any
//! intermediates) inside. What a Kazakh relying party checks (NCANode's list): the CMS structure
//! and signature, the certificate chain to the trusted roots, validity, key usage and role, and
//! the IIN and BIN of the subject — the certificate side shared with the raw-signature form in
//! [`super::certificate`].
//!
//! Parsing uses RustCrypto's `cms`, `x509-cert` and `der`; RSA and ECDSA signatures are checked by
//! `rustls-webpki` with the signer's certificate, GOST ones by [`super::gost`].

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rustls_pki_types::CertificateDer;
use x509_cert::Certificate;

use super::certificate::CertError;
use super::gost;

/// `id-signedData`.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-data`.
const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// The `contentType` and `messageDigest` signed attributes.
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// Largest CMS accepted (a login carries a nonce and a few certificates).
pub const MAX_CMS_BYTES: usize = 64 * 1024;

/// A digest algorithm a signer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Digest {
    Sha256,
    Sha384,
    Sha512,
    Streebog256,
    Streebog512,
}

impl Digest {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Digest> {
        Some(match oid.to_string().as_str() {
            "2.16.840.1.101.3.4.2.1" => Digest::Sha256,
            "2.16.840.1.101.3.4.2.2" => Digest::Sha384,
            "2.16.840.1.101.3.4.2.3" => Digest::Sha512,
            // TC26 and NCA RK identifiers of Streebog.
            "1.2.643.7.1.1.2.2" | "1.2.398.3.10.1.3.2" => Digest::Streebog256,
            "1.2.643.7.1.1.2.3" | "1.2.398.3.10.1.3.3" => Digest::Streebog512,
            _ => return None,
        })
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Digest::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Digest::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Digest::Sha512 => sha2::Sha512::digest(data).to_vec(),
            Digest::Streebog256 => gost::streebog_digest(32, data),
            Digest::Streebog512 => gost::streebog_digest(64, data),
        }
    }
}

/// A parsed login signature: who signed (their certificate and the others the CMS carries) and
/// what remains to check with the signer's key.
pub struct SignedLogin {
    /// The signer's certificate, then the other certificates of the CMS (intermediates).
    pub chain: Vec<CertificateDer<'static>>,
    signer: Certificate,
    info: SignerInfo,
    content: Vec<u8>,
}

fn malformed(_: der::Error) -> CertError {
    CertError::Malformed
}

/// Reads a CMS SignedData (DER) over `nonce`: attached content must be the nonce, detached
/// content is taken to be it. Fails when the CMS has not exactly one signer or does not carry
/// the signer's certificate.
pub fn parse(der_bytes: &[u8], nonce: &[u8]) -> Result<SignedLogin, CertError> {
    if der_bytes.len() > MAX_CMS_BYTES {
        return Err(CertError::Malformed);
    }
    let info = ContentInfo::from_der(der_bytes).map_err(malformed)?;
    if info.content_type != SIGNED_DATA {
        return Err(CertError::Malformed);
    }
    let signed: SignedData = info.content.decode_as().map_err(malformed)?;
    let content = match &signed.encap_content_info.econtent {
        Some(any) => {
            let octets: OctetString = any.decode_as().map_err(malformed)?;
            octets.as_bytes().to_vec()
        }
        None => nonce.to_vec(),
    };
    if content != nonce {
        return Err(CertError::ContentMismatch);
    }
    let signers: Vec<&SignerInfo> = signed.signer_infos.0.iter().collect();
    let [signer_info] = signers.as_slice() else {
        return Err(CertError::Malformed);
    };
    let certificates: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let position = certificates
        .iter()
        .position(|c| identifies(&signer_info.sid, c))
        .ok_or(CertError::SignerCertificateMissing)?;
    let mut ordered = certificates;
    let signer = ordered.remove(position);
    let mut chain = vec![CertificateDer::from(signer.to_der().map_err(malformed)?)];
    for c in &ordered {
        chain.push(CertificateDer::from(c.to_der().map_err(malformed)?));
    }
    Ok(SignedLogin {
        chain,
        signer,
        info: (*signer_info).clone(),
        content,
    })
}

/// Whether a certificate is the one a signer identifier names.
fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == cert.tbs_certificate.issuer
                && ias.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert
            .tbs_certificate
            .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, own)| own.0 == ski.0),
    }
}

impl SignedLogin {
    /// Checks the signature with the signer's key: over the signed attributes (whose
    /// `messageDigest` must be the digest of the content and `contentType` data), or over the
    /// content itself when there are none.
    pub fn verify_signature(
        &self,
        end_entity: &webpki::EndEntityCert<'_>,
    ) -> Result<(), CertError> {
        let digest =
            Digest::from_oid(&self.info.digest_alg.oid).ok_or(CertError::UnsupportedAlgorithm)?;
        let message = match &self.info.signed_attrs {
            Some(attrs) => {
                let mut seen_digest = false;
                for attr in attrs.iter() {
                    let value = attr.values.iter().next().ok_or(CertError::Malformed)?;
                    if attr.oid == MESSAGE_DIGEST {
                        let given: OctetString = value.decode_as().map_err(malformed)?;
                        if given.as_bytes() != digest.hash(&self.content) {
                            return Err(CertError::ContentMismatch);
                        }
                        seen_digest = true;
                    } else if attr.oid == CONTENT_TYPE {
                        let kind: ObjectIdentifier = value.decode_as().map_err(malformed)?;
                        if kind != DATA {
                            return Err(CertError::Malformed);
                        }
                    }
                }
                if !seen_digest {
                    return Err(CertError::Malformed);
                }
                // Signed as a DER SET OF (RFC 5652 §5.4), not with the [0] tag it travels with.
                attrs.to_der().map_err(malformed)?
            }
            None => self.content.clone(),
        };
        let signature = self.info.signature.as_bytes();
        if let Some(key) = gost_key(&self.signer) {
            let expected = match key.curve().bytes {
                32 => Digest::Streebog256,
                _ => Digest::Streebog512,
            };
            return if digest == expected && key.verify(&message, signature) {
                Ok(())
            } else {
                Err(CertError::BadSignature)
            };
        }
        let verified = super::certificate::signature_algorithms()
            .iter()
            .any(|alg| {
                end_entity
                    .verify_signature(*alg, &message, signature)
                    .is_ok()
            });
        if verified {
            Ok(())
        } else {
            Err(CertError::BadSignature)
        }
    }
}

/// The GOST parameters of a public key: the parameter set (and, optionally, digest and cipher
/// sets, which do not change the curve).
#[derive(der::Sequence)]
struct GostKeyParameters {
    public_key_param_set: ObjectIdentifier,
    #[allow(dead_code)]
    digest_param_set: Option<ObjectIdentifier>,
    #[allow(dead_code)]
    encryption_param_set: Option<ObjectIdentifier>,
}

/// The certificate's key, when it is a GOST key on a known parameter set.
pub fn gost_key(cert: &Certificate) -> Option<gost::PublicKey> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if !gost::is_key_algorithm(&spki.algorithm.oid.to_string()) {
        return None;
    }
    let params: GostKeyParameters = spki.algorithm.parameters.as_ref()?.decode_as().ok()?;
    let curve = gost::curve_for(&params.public_key_param_set.to_string())?;
    let point = OctetString::from_der(spki.subject_public_key.raw_bytes()).ok()?;
    gost::PublicKey::from_le_bytes(curve, point.as_bytes())
}
