//! Revocation at sign-in, against an OpenSSL-made PKI: full and delta CRLs from files and URLs,
//! and an OCSP responder on 127.0.0.1 answering with `openssl ocsp`. Each refusal is a 401 with
//! its reason, and an audit event.

use crate::common;

use std::sync::{Arc, Mutex};

use audit_hub::authz::certificate::TrustAnchors;
use audit_hub::authz::ocsp::Ocsp;
use audit_hub::authz::revocation::Revocation;
use common::openssl::*;
use common::{TestDb, TestServer, bin_of, user_of};

/// A server trusting `ca`, with these lists (grace in days) and responder.
async fn server(
    t: &TestDb,
    ca: &str,
    crls: Vec<String>,
    grace_days: u64,
    ocsp: Option<&str>,
) -> (TestServer, Option<Arc<Revocation>>) {
    let anchors = Arc::new(
        TrustAnchors::from_pem(std::fs::read(ca).expect("ca").as_slice()).expect("anchors"),
    );
    let lists = if crls.is_empty() {
        None
    } else {
        Some(Arc::new(
            Revocation::load(crls, std::time::Duration::from_secs(grace_days * 86_400))
                .await
                .expect("load CRLs"),
        ))
    };
    let responder = ocsp.map(|url| Arc::new(Ocsp::new(url).expect("responder")));
    let s = TestServer::start_with(&t.db, |st| {
        let mut st = st.with_trust_anchors(anchors);
        if let Some(l) = lists.clone() {
            st = st.with_revocation(l);
        }
        if let Some(o) = responder {
            st = st.with_ocsp(o);
        }
        st
    })
    .await;
    (s, lists)
}

/// Revocation by CRL: a revoked certificate is refused; a stale list gives no status and the
/// login fails closed, unless the operator allows a grace period; lists are read from files and
/// from `http://` URLs, and refreshed; an issuer without a list gives no status either.
#[tokio::test]
async fn revoked_certificates_and_stale_lists_are_refused() {
    let kinds = rsa_and_gost();
    let t = TestDb::with_demo(1).await;
    let user = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let bin = bin_of(&t.db, user.id).await;
    let ssl = OpenSsl::new();
    // A CRL distribution point on 127.0.0.1, serving whatever the test last wrote (nothing: down).
    let served = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let url = {
        let served = served.clone();
        let base = http_peer(move |_| {
            Some(served.lock().expect("lock").clone()).filter(|b| !b.is_empty())
        })
        .await;
        format!("{base}/ca.crl")
    };

    for (i, kind) in kinds.iter().enumerate() {
        let name = kind.name;
        let ca = ssl.ca(*kind, &format!("rca{i}"));
        let other_ca = ssl.ca(*kind, &format!("rother{i}"));
        let good = ssl.leaf(
            *kind,
            &ca,
            &format!("rgood{i}"),
            &LeafSpec::new(&user.iin, &bin),
        );
        let bad = ssl.leaf(
            *kind,
            &ca,
            &format!("rbad{i}"),
            &LeafSpec::new(&user.iin, &bin),
        );
        let crl = ssl.crl(*kind, &ca, &[&bad.0]);
        let other_crl = ssl.crl(*kind, &other_ca, &[]);
        let ok = (200, None);
        let refused = |r: &str| (401, Some(r.to_owned()));

        // From a file: the good certificate signs in, the revoked one not.
        let (s, _) = server(&t, &ca, vec![crl.clone()], 0, None).await;
        assert_eq!(attempt(&ssl, *kind, &s, &good).await, ok, "{name}: good");
        assert_eq!(
            attempt(&ssl, *kind, &s, &bad).await,
            refused("CERT_REVOKED"),
            "{name}: revoked"
        );
        // Two days on the list (valid a day) is stale: no status, fail closed.
        s.clock.advance(chrono::Duration::days(2));
        assert_eq!(
            attempt(&ssl, *kind, &s, &good).await,
            refused("CERT_STATUS_UNKNOWN"),
            "{name}: stale list"
        );
        // With a grace period of three days the operator accepts the stale list.
        let (lenient, _) = server(&t, &ca, vec![crl.clone()], 3, None).await;
        lenient.clock.advance(chrono::Duration::days(2));
        assert_eq!(
            attempt(&ssl, *kind, &lenient, &good).await,
            ok,
            "{name}: within grace"
        );
        assert_eq!(
            attempt(&ssl, *kind, &lenient, &bad).await,
            refused("CERT_REVOKED"),
            "{name}: grace revokes"
        );
        // A list of another issuer only: no status for this one.
        let (s, _) = server(&t, &ca, vec![other_crl.clone()], 0, None).await;
        assert_eq!(
            attempt(&ssl, *kind, &s, &good).await,
            refused("CERT_STATUS_UNKNOWN"),
            "{name}: no list of the issuer"
        );

        // From a URL, refreshed: once the CA revokes the good certificate too, it is refused.
        *served.lock().expect("lock") = std::fs::read(&crl).expect("crl");
        let (s, r) = server(&t, &ca, vec![url.clone()], 0, None).await;
        assert_eq!(
            attempt(&ssl, *kind, &s, &good).await,
            ok,
            "{name}: good, list from a URL"
        );
        let newer = ssl.crl(*kind, &ca, &[&good.0]);
        *served.lock().expect("lock") = std::fs::read(&newer).expect("crl");
        r.as_ref().expect("lists").refresh().await;
        assert_eq!(
            attempt(&ssl, *kind, &s, &good).await,
            refused("CERT_REVOKED"),
            "{name}: revoked after a refresh"
        );
        // A distribution point that stops answering leaves the last list in force.
        served.lock().expect("lock").clear();
        r.as_ref().expect("lists").refresh().await;
        assert_eq!(
            attempt(&ssl, *kind, &s, &good).await,
            refused("CERT_REVOKED"),
            "{name}: last list kept"
        );
    }
}

/// Who signs the responder's next answer, or how it fails to give one.
#[derive(Clone)]
enum Responder {
    /// `openssl ocsp` answers from the CA's database, signed with this certificate and key.
    SignedBy(String, String),
    /// The answer given to the previous request is sent again (its nonce is not this request's).
    Replay,
    /// The connection is closed unanswered.
    Down,
}

/// Revocation by OCSP: the responder's answer decides — good signs in; revoked, unknown to the
/// responder, signed by anyone but the issuer or its delegated responder, replayed, or missing
/// is refused — and without an answer a fresh CRL decides when one is held.
#[tokio::test]
async fn ocsp_answers_decide_and_no_answer_fails_closed() {
    let t = TestDb::with_demo(1).await;
    let user = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let bin = bin_of(&t.db, user.id).await;
    let ssl = Arc::new(OpenSsl::new());
    for (i, kind) in rsa_and_gost().into_iter().enumerate() {
        let name = kind.name;
        let ca = ssl.ca(kind, &format!("oca{i}"));
        let ca_signer = (ca.clone(), ca.replace(".pem", ".key"));
        let other = ssl.ca(kind, &format!("oother{i}"));
        let other_signer = (other.clone(), other.replace(".pem", ".key"));
        let spec = LeafSpec::new(&user.iin, &bin);
        let good = ssl.leaf(kind, &ca, &format!("ogood{i}"), &spec);
        let bad = ssl.leaf(kind, &ca, &format!("obad{i}"), &spec);
        let stranger = ssl.leaf(kind, &ca, &format!("ostranger{i}"), &spec);
        ssl.record_valid(kind, &ca, &good.0);
        ssl.record_valid(kind, &ca, &bad.0);
        ssl.revoke(kind, &ca, &bad.0);
        let delegated = ssl.responder(kind, &ca, &format!("odelegated{i}"), true);
        let not_delegated = ssl.responder(kind, &ca, &format!("oplain{i}"), false);

        let mode = Arc::new(Mutex::new(Responder::Down));
        let url = {
            let (mode, ssl, ca) = (mode.clone(), ssl.clone(), ca.clone());
            let last = Mutex::new(Vec::new());
            http_peer(move |request| {
                let mode = mode.lock().expect("lock").clone();
                match mode {
                    Responder::SignedBy(cert, key) => {
                        let answer = ssl.ocsp_answer(kind, &ca, (&cert, &key), &request);
                        *last.lock().expect("lock") = answer.clone();
                        Some(answer)
                    }
                    Responder::Replay => Some(last.lock().expect("lock").clone()),
                    Responder::Down => None,
                }
            })
            .await
        };
        let (s, _) = server(&t, &ca, vec![], 0, Some(&url)).await;
        let signed_by = |(c, k): &(String, String)| Responder::SignedBy(c.clone(), k.clone());
        let ok = (200, None);
        let refused = |r: &str| (401, Some(r.to_owned()));
        let cases = [
            (
                "good, answered by the CA",
                signed_by(&ca_signer),
                &good,
                ok.clone(),
            ),
            (
                "revoked, answered by the CA",
                signed_by(&ca_signer),
                &bad,
                refused("CERT_REVOKED"),
            ),
            (
                "not in the CA's database",
                signed_by(&ca_signer),
                &stranger,
                refused("CERT_STATUS_UNKNOWN"),
            ),
            (
                "good, answered by a delegated responder",
                signed_by(&delegated),
                &good,
                ok.clone(),
            ),
            (
                "revoked, answered by a delegated responder",
                signed_by(&delegated),
                &bad,
                refused("CERT_REVOKED"),
            ),
            (
                "answer signed by a certificate not made for OCSP",
                signed_by(&not_delegated),
                &good,
                refused("CERT_STATUS_UNKNOWN"),
            ),
            (
                "answer signed by another CA",
                signed_by(&other_signer),
                &good,
                refused("CERT_STATUS_UNKNOWN"),
            ),
            (
                "a good answer, to prime the replay",
                signed_by(&ca_signer),
                &good,
                ok.clone(),
            ),
            (
                "an earlier answer replayed (another nonce)",
                Responder::Replay,
                &good,
                refused("CERT_STATUS_UNKNOWN"),
            ),
            (
                "responder down",
                Responder::Down,
                &good,
                refused("CERT_STATUS_UNKNOWN"),
            ),
        ];
        for (case, responder, signer, expected) in cases {
            *mode.lock().expect("lock") = responder;
            assert_eq!(
                attempt(&ssl, kind, &s, signer).await,
                expected,
                "{name}: {case}"
            );
        }
        // The refusal names where the revocation was learnt.
        *mode.lock().expect("lock") = signed_by(&ca_signer);
        let nonce = challenge(&s).await;
        let (status, body) = cms_login(&s, &nonce, &ssl.sign(kind, &bad, &nonce, true, true)).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("OCSP")),
            "{name}: revoked (OCSP): {body}"
        );

        // With the responder down, a fresh CRL decides; a stale one does not.
        let crl = ssl.crl(kind, &ca, &[]);
        *mode.lock().expect("lock") = Responder::Down;
        let (s, _) = server(&t, &ca, vec![crl], 0, Some(&url)).await;
        assert_eq!(
            attempt(&ssl, kind, &s, &good).await,
            ok,
            "{name}: CRL fallback, good"
        );
        assert_eq!(
            attempt(&ssl, kind, &s, &bad).await,
            refused("CERT_REVOKED"),
            "{name}: CRL fallback, revoked"
        );
        s.clock.advance(chrono::Duration::days(2));
        assert_eq!(
            attempt(&ssl, kind, &s, &good).await,
            refused("CERT_STATUS_UNKNOWN"),
            "{name}: responder down and the CRL stale"
        );
    }
    for outcome in ["CERT_REVOKED", "CERT_STATUS_UNKNOWN", "OK"] {
        assert!(
            login_attempts(&t.db, outcome).await > 0,
            "sign-in attempts with outcome {outcome} are in the trail"
        );
    }
}

/// Delta CRLs: a certificate revoked after the full list is refused by the delta over it; a
/// stale delta, or one over a newer full list than the one held, gives no status.
#[tokio::test]
async fn delta_crls_revoke_between_full_lists() {
    let t = TestDb::with_demo(1).await;
    let user = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let bin = bin_of(&t.db, user.id).await;
    let ssl = OpenSsl::new();
    for (i, kind) in rsa_and_gost().into_iter().enumerate() {
        let name = kind.name;
        let ca = ssl.ca(kind, &format!("dca{i}"));
        let spec = LeafSpec::new(&user.iin, &bin);
        let good = ssl.leaf(kind, &ca, &format!("dgood{i}"), &spec);
        let bad = ssl.leaf(kind, &ca, &format!("dbad{i}"), &spec);
        // Full list number 1 revokes nothing; then the CA revokes `bad`.
        let full = ssl.crl(kind, &ca, &[]);
        ssl.revoke(kind, &ca, &bad.0);
        let delta = ssl.delta_crl(kind, &ca, 1, 24);
        let short_delta = ssl.delta_crl(kind, &ca, 1, 1);
        let ahead = ssl.delta_crl(kind, &ca, 5, 24);
        let ok = (200, None);
        let refused = |r: &str| (401, Some(r.to_owned()));

        let (s, _) = server(&t, &ca, vec![full.clone()], 0, None).await;
        assert_eq!(
            attempt(&ssl, kind, &s, &bad).await,
            ok,
            "{name}: the full list alone"
        );

        let (s, _) = server(&t, &ca, vec![full.clone(), delta], 0, None).await;
        assert_eq!(
            attempt(&ssl, kind, &s, &good).await,
            ok,
            "{name}: good with a delta"
        );
        let nonce = challenge(&s).await;
        let (status, body) = cms_login(&s, &nonce, &ssl.sign(kind, &bad, &nonce, true, true)).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("CERT_REVOKED")),
            "{name}: revoked by the delta: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("delta CRL")),
            "{name}: the refusal names the delta: {body}"
        );

        let (s, _) = server(&t, &ca, vec![full.clone(), short_delta], 0, None).await;
        s.clock.advance(chrono::Duration::hours(2));
        assert_eq!(
            attempt(&ssl, kind, &s, &good).await,
            refused("CERT_STATUS_UNKNOWN"),
            "{name}: the delta is stale, the full list fresh"
        );

        let (s, _) = server(&t, &ca, vec![full.clone(), ahead], 0, None).await;
        assert_eq!(
            attempt(&ssl, kind, &s, &good).await,
            refused("CERT_STATUS_UNKNOWN"),
            "{name}: a delta over a newer full list than the one held"
        );
    }
}
