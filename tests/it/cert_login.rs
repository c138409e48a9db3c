//! Certificate login with generated NCA-like certificates: the accepted cases and every refusal.

use crate::common;

use std::sync::Arc;

use audit_hub::authz::certificate::TrustAnchors;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::openssl::*;
use common::{TestDb, TestServer, bin_of, user_of};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SigningKey, date_time_ymd,
};
use serde_json::{Value, json};

const LEGAL_ENTITY: [u64; 9] = [1, 2, 398, 3, 3, 4, 1, 2, 1];
const INDIVIDUAL: [u64; 8] = [1, 2, 398, 3, 3, 4, 1, 1];

pub(crate) struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pub(crate) cert: Certificate,
}

pub(crate) fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(vec![]).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn.push(DnType::CountryName, "KZ");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("ca cert");
    Ca { params, key, cert }
}

fn intermediate(root: &Ca, name: &str) -> Ca {
    let mut params = CertificateParams::new(vec![]).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate().expect("key");
    let cert = params
        .signed_by(&key, &Issuer::from_params(&root.params, &root.key))
        .expect("intermediate");
    Ca { params, key, cert }
}

pub(crate) struct Leaf {
    iin: String,
    bin: String,
    roles: Vec<Vec<u64>>,
    client_auth: bool,
    not_after: (i32, u8, u8),
    rsa: bool,
}

impl Leaf {
    pub(crate) fn new(iin: &str, bin: &str) -> Leaf {
        Leaf {
            iin: iin.into(),
            bin: bin.into(),
            roles: vec![LEGAL_ENTITY.to_vec()],
            client_auth: true,
            not_after: (2039, 1, 1),
            rsa: false,
        }
    }

    fn params(&self) -> CertificateParams {
        let mut params = CertificateParams::new(vec![]).expect("params");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "ТЕСТОВ ТЕСТ");
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            format!("IIN{}", self.iin),
        );
        dn.push(DnType::OrganizationName, "Test organization");
        dn.push(DnType::OrganizationalUnitName, format!("BIN{}", self.bin));
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let mut eku = Vec::new();
        if self.client_auth {
            eku.push(ExtendedKeyUsagePurpose::ClientAuth);
        }
        eku.extend(
            self.roles
                .iter()
                .map(|r| ExtendedKeyUsagePurpose::Other(r.clone())),
        );
        params.extended_key_usages = eku;
        params.not_before = date_time_ymd(2024, 1, 1);
        let (y, m, d) = self.not_after;
        params.not_after = date_time_ymd(y, m, d);
        params
    }

    fn key(&self) -> KeyPair {
        if self.rsa {
            KeyPair::from_pem(include_str!("../fixtures/rsa_test_key.pem")).expect("rsa key")
        } else {
            KeyPair::generate().expect("key")
        }
    }

    pub(crate) fn issued_by(&self, ca: &Ca) -> (Certificate, KeyPair) {
        let key = self.key();
        let cert = self
            .params()
            .signed_by(&key, &Issuer::from_params(&ca.params, &ca.key))
            .expect("leaf");
        (cert, key)
    }

    fn self_signed(&self) -> (Certificate, KeyPair) {
        let key = self.key();
        (self.params().self_signed(&key).expect("self-signed"), key)
    }
}

pub(crate) async fn login(
    s: &TestServer,
    nonce: &str,
    chain: &[&Certificate],
    key: &KeyPair,
    signed: &str,
) -> (u16, Value) {
    let signature = STANDARD.encode(key.sign(signed.as_bytes()).expect("sign"));
    let chain: Vec<String> = chain.iter().map(|c| c.pem()).collect();
    let resp = s
        .client
        .post(s.url("/auth/login"))
        .json(&json!({ "nonce": nonce, "certificateChain": chain, "signature": signature }))
        .send()
        .await
        .expect("login");
    (resp.status().as_u16(), resp.json().await.expect("json"))
}

#[tokio::test]
async fn legal_entity_certificates_log_in_and_everything_else_is_refused() {
    let t = TestDb::with_demo(1).await;
    let root = ca("Test NCA root");
    let sub = intermediate(&root, "Test NCA intermediate");
    let stranger = ca("Some other CA");
    let anchors = Arc::new(TrustAnchors::from_pem(root.cert.pem().as_bytes()).expect("anchors"));
    let s = TestServer::start_with(&t.db, |st| st.with_trust_anchors(anchors)).await;

    let user = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let bin = bin_of(&t.db, user.id).await;
    let other_bin = bin_of(&t.db, user_of(&t.db, "PARLIAMENT", "", true).await.id).await;

    // Accepted: ECDSA leaf from the root, RSA leaf, and a leaf through an intermediate.
    for (name, leaf, via_intermediate) in [
        ("ECDSA certificate", Leaf::new(&user.iin, &bin), false),
        (
            "RSA certificate",
            Leaf {
                rsa: true,
                ..Leaf::new(&user.iin, &bin)
            },
            false,
        ),
        (
            "certificate from an intermediate CA",
            Leaf::new(&user.iin, &bin),
            true,
        ),
    ] {
        let issuer = if via_intermediate { &sub } else { &root };
        let (cert, key) = leaf.issued_by(issuer);
        let nonce = challenge(&s).await;
        let chain: Vec<&Certificate> = if via_intermediate {
            vec![&cert, &sub.cert]
        } else {
            vec![&cert]
        };
        let (status, body) = login(&s, &nonce, &chain, &key, &nonce).await;
        assert_eq!(status, 200, "{name}: {body}");
        let token = body["token"].as_str().expect("token");
        let me = s
            .client
            .post(s.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": "{ me { user { iin } } }" }));
        let me: Value = me.send().await.expect("me").json().await.expect("json");
        assert_eq!(me["data"]["me"]["user"]["iin"], user.iin, "{name}");
    }

    // Refused, each with its reason.
    let (good, good_key) = Leaf::new(&user.iin, &bin).issued_by(&root);
    let cases: Vec<(&str, (Certificate, KeyPair), &str)> = vec![
        (
            "expired",
            Leaf {
                not_after: (2025, 1, 1),
                ..Leaf::new(&user.iin, &bin)
            }
            .issued_by(&root),
            "CERT_EXPIRED",
        ),
        (
            "self-signed",
            Leaf::new(&user.iin, &bin).self_signed(),
            "CERT_SELF_SIGNED",
        ),
        (
            "wrong CA",
            Leaf::new(&user.iin, &bin).issued_by(&stranger),
            "CERT_UNTRUSTED_ISSUER",
        ),
        (
            "wrong BIN",
            Leaf::new(&user.iin, &other_bin).issued_by(&root),
            "BIN_MISMATCH",
        ),
        (
            "individual certificate",
            Leaf {
                roles: vec![INDIVIDUAL.to_vec()],
                ..Leaf::new(&user.iin, &bin)
            }
            .issued_by(&root),
            "CERT_NOT_LEGAL_ENTITY",
        ),
        (
            "no role at all",
            Leaf {
                roles: vec![],
                ..Leaf::new(&user.iin, &bin)
            }
            .issued_by(&root),
            "CERT_NOT_LEGAL_ENTITY",
        ),
        (
            "no clientAuth",
            Leaf {
                client_auth: false,
                ..Leaf::new(&user.iin, &bin)
            }
            .issued_by(&root),
            "CERT_NOT_CLIENT_AUTH",
        ),
        (
            "unregistered person",
            Leaf::new("000000000000", &bin).issued_by(&root),
            "USER_UNKNOWN",
        ),
    ];
    for (name, (cert, key), reason) in &cases {
        let nonce = challenge(&s).await;
        let (status, body) = login(&s, &nonce, &[cert], key, &nonce).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some(*reason)),
            "{name}: {body}"
        );
        assert_eq!(body["code"], "UNAUTHENTICATED", "{name}");
    }

    // A signature by another key, or over another text, does not count.
    let nonce = challenge(&s).await;
    let (status, body) = login(
        &s,
        &nonce,
        &[&good],
        &KeyPair::generate().expect("key"),
        &nonce,
    )
    .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("SIGNATURE_INVALID")),
        "{body}"
    );
    let nonce = challenge(&s).await;
    let (status, body) = login(&s, &nonce, &[&good], &good_key, "another text").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("SIGNATURE_INVALID")),
        "{body}"
    );

    // A nonce works once; unknown nonces never.
    let nonce = challenge(&s).await;
    let (status, _) = login(&s, &nonce, &[&good], &good_key, &nonce).await;
    assert_eq!(status, 200);
    let (status, body) = login(&s, &nonce, &[&good], &good_key, &nonce).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("CHALLENGE_INVALID")),
        "replayed nonce: {body}"
    );
    let (status, body) = login(&s, "made-up", &[&good], &good_key, "made-up").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("CHALLENGE_INVALID")),
        "{body}"
    );

    // A person whose body named today as their termination date signs in no more, though the
    // integrator has not blocked them yet.
    let leaver = user_of(&t.db, "PARLIAMENT", "", false).await;
    let leaver_bin = bin_of(&t.db, leaver.id).await;
    let chamber_head = user_of(&t.db, "PARLIAMENT", "", true).await;
    let (cert, key) = Leaf::new(&leaver.iin, &leaver_bin).issued_by(&root);
    let nonce = challenge(&s).await;
    let (status, body) = login(&s, &nonce, &[&cert], &key, &nonce).await;
    assert_eq!(status, 200, "before the request: {body}");
    let today = common::today().to_string();
    let v = s
        .client
        .post(s.url("/graphql"))
        .bearer_auth(common::token(&chamber_head.iin))
        .json(&json!({
            "query": "mutation($u: ID!, $on: Date!) { requestBlock(userId: $u, terminatedOn: $on, reason: \"dismissed\") { id } }",
            "variables": { "u": leaver.id.to_string(), "on": today }
        }))
        .send()
        .await
        .expect("request block")
        .json::<Value>()
        .await
        .expect("json");
    assert!(v.get("errors").is_none(), "{v}");
    let nonce = challenge(&s).await;
    let (status, body) = login(&s, &nonce, &[&cert], &key, &nonce).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("USER_UNKNOWN")),
        "suspended: {body}"
    );

    // An expired challenge is refused too.
    let nonce = challenge(&s).await;
    s.clock.advance(chrono::Duration::minutes(6));
    let (status, body) = login(&s, &nonce, &[&good], &good_key, &nonce).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("CHALLENGE_INVALID")),
        "expired challenge: {body}"
    );
}

#[tokio::test]
async fn certificate_login_is_off_without_trust_anchors() {
    let t = TestDb::new().await;
    let s = TestServer::start(&t.db).await;
    let resp = s
        .client
        .post(s.url("/auth/login"))
        .json(&json!({ "nonce": "x", "certificateChain": [], "signature": "" }));
    assert_eq!(resp.send().await.expect("login").status(), 503);
}

/// NCALayer's form: a CMS over the nonce, attached or detached, by RSA and GOST 2012 (256 and
/// 512 bit) legal-entity keys, made by OpenSSL; and each refusal with its reason.
#[tokio::test]
async fn cms_signatures_from_rsa_and_gost_keys_log_in_and_forgeries_are_refused() {
    let required = std::env::var("AUDIT_HUB_GOST_TESTS").as_deref() == Ok("required");
    let mut kinds = vec![RSA];
    if gost_engine() {
        kinds.extend(GOST_KINDS);
    } else {
        assert!(
            !required,
            "OpenSSL's GOST engine is required here but not installed"
        );
        eprintln!("GOST cases SKIPPED: install libengine-gost-openssl to run them");
    }
    let t = TestDb::with_demo(1).await;
    let user = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let bin = bin_of(&t.db, user.id).await;
    let other_bin = bin_of(&t.db, user_of(&t.db, "PARLIAMENT", "", true).await.id).await;
    let ssl = OpenSsl::new();
    let mut anchors = String::new();
    let mut cas = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let ca = ssl.ca(*kind, &format!("ca{i}"));
        anchors.push_str(&std::fs::read_to_string(&ca).expect("ca"));
        cas.push(ca);
    }
    let anchors = Arc::new(TrustAnchors::from_pem(anchors.as_bytes()).expect("anchors"));
    let s = TestServer::start_with(&t.db, |st| st.with_trust_anchors(anchors)).await;

    for (i, kind) in kinds.iter().enumerate() {
        let name = kind.name;
        let good = ssl.leaf(
            *kind,
            &cas[i],
            &format!("leaf{i}"),
            &LeafSpec::new(&user.iin, &bin),
        );
        for attached in [true, false] {
            let nonce = challenge(&s).await;
            let cms = ssl.sign(*kind, &good, &nonce, attached, true);
            let (status, body) = cms_login(&s, &nonce, &cms).await;
            assert_eq!(status, 200, "{name}, attached {attached}: {body}");
            assert_eq!(body["iin"], user.iin.as_str(), "{name}");
        }

        // Refusals, each with its reason: (case, signer, signs the nonce, attached, with the
        // signer's certificate, reason).
        let stranger_ca = ssl.ca(*kind, &format!("stranger{i}"));
        let leaf = |file: &str, spec: LeafSpec, ca: &str| {
            ssl.leaf(*kind, ca, &format!("{file}{i}"), &spec)
        };
        let cases = vec![
            (
                "detached, over another text",
                good.clone(),
                false,
                false,
                true,
                "CMS_CONTENT_MISMATCH",
            ),
            (
                "attached content is not the nonce",
                good.clone(),
                false,
                true,
                true,
                "CMS_CONTENT_MISMATCH",
            ),
            (
                "signer certificate missing",
                good.clone(),
                true,
                true,
                false,
                "CMS_SIGNER_CERTIFICATE_MISSING",
            ),
            (
                "unknown issuer",
                leaf("x", LeafSpec::new(&user.iin, &bin), &stranger_ca),
                true,
                true,
                true,
                "CERT_UNTRUSTED_ISSUER",
            ),
            (
                "individual instead of legal entity",
                leaf(
                    "ind",
                    LeafSpec {
                        role: "1.2.398.3.3.4.1.1",
                        ..LeafSpec::new(&user.iin, &bin)
                    },
                    &cas[i],
                ),
                true,
                true,
                true,
                "CERT_NOT_LEGAL_ENTITY",
            ),
            (
                "BIN of another body",
                leaf("bin", LeafSpec::new(&user.iin, &other_bin), &cas[i]),
                true,
                true,
                true,
                "BIN_MISMATCH",
            ),
        ];
        for (case, signer, signs_nonce, attached, certs, reason) in cases {
            let nonce = challenge(&s).await;
            let content = if signs_nonce {
                nonce.as_str()
            } else {
                "another text"
            };
            let cms = ssl.sign(*kind, &signer, content, attached, certs);
            let (status, body) = cms_login(&s, &nonce, &cms).await;
            assert_eq!(
                (status, body["reason"].as_str()),
                (401, Some(reason)),
                "{name}: {case}: {body}"
            );
        }

        // A certificate valid for one day, two days later.
        let short = leaf(
            "old",
            LeafSpec {
                days: 1,
                ..LeafSpec::new(&user.iin, &bin)
            },
            &cas[i],
        );
        s.clock.advance(chrono::Duration::days(2));
        let nonce = challenge(&s).await;
        let cms = ssl.sign(*kind, &short, &nonce, true, true);
        let (status, body) = cms_login(&s, &nonce, &cms).await;
        s.clock.advance(chrono::Duration::days(-2));
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("CERT_EXPIRED")),
            "{name}: expired: {body}"
        );

        // Each refusal above left an event with its reason.
        for reason in [
            "CMS_CONTENT_MISMATCH",
            "CMS_SIGNER_CERTIFICATE_MISSING",
            "CERT_UNTRUSTED_ISSUER",
            "CERT_NOT_LEGAL_ENTITY",
            "BIN_MISMATCH",
            "CERT_EXPIRED",
        ] {
            assert!(
                login_attempts(&t.db, reason).await > 0,
                "{name}: {reason} recorded"
            );
        }

        // A tampered signature in an otherwise good CMS.
        let nonce = challenge(&s).await;
        let mut der = STANDARD
            .decode(ssl.sign(*kind, &good, &nonce, true, true))
            .expect("der");
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let (status, body) = cms_login(&s, &nonce, &STANDARD.encode(&der)).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("SIGNATURE_INVALID")),
            "{name}: tampered signature: {body}"
        );
    }
}

/// Resident memory of this process (the test and its in-process server), in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Sends `mib` MiB of spaces to `path` as a stream (no Content-Length); the status.
async fn flood(s: &TestServer, path: &str, mib: usize) -> u16 {
    let body = reqwest::Body::wrap_stream(futures::stream::iter(
        (0..mib * 16).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])),
    ));
    let resp = s
        .client
        .post(s.url(path))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await;
    // The server may answer and close before the client has sent everything.
    resp.map(|r| r.status().as_u16()).unwrap_or(0)
}

/// The sign-in doors: refused before reading when sign-in is not configured, bounded bodies,
/// the per-address rate limit, and an audit event for every attempt.
#[tokio::test]
async fn the_sign_in_doors_are_bounded_limited_and_audited() {
    let t = TestDb::with_demo(1).await;
    let plain = TestServer::start(&t.db).await;
    let resp = plain
        .client
        .post(plain.url("/auth/challenge"))
        .send()
        .await
        .expect("challenge");
    assert_eq!(resp.status(), 503, "no trust anchors, no challenges");
    assert_eq!(
        flood(&plain, "/auth/login", 60).await,
        503,
        "refused before reading"
    );

    let root = ca("Door test root");
    let anchors = Arc::new(TrustAnchors::from_pem(root.cert.pem().as_bytes()).expect("anchors"));
    let s = TestServer::start_with(&t.db, |st| st.with_trust_anchors(anchors)).await;
    let before = resident_kib();
    let status = flood(&s, "/auth/login", 60).await;
    let grown = resident_kib().saturating_sub(before);
    assert!(status == 413 || status == 0, "60 MiB login body: {status}");
    assert!(
        grown < 32 * 1024,
        "memory grew by {grown} KiB for a refused body"
    );
    // The server still answers, and sign-in works.
    let nonce = challenge(&s).await;
    assert!(!nonce.is_empty());

    // 200 challenges from one address: the rate limit answers 429 with Retry-After.
    let mut limited = 0;
    for _ in 0..200 {
        let resp = s
            .client
            .post(s.url("/auth/challenge"))
            .send()
            .await
            .expect("challenge");
        if resp.status() == 429 {
            assert!(resp.headers().contains_key("retry-after"));
            limited += 1;
        }
    }
    assert!(limited > 0, "no 429 among 200 challenges");

    // Every attempt is in the trail with its outcome; expired challenges are purged.
    let q = sea_query::Query::select()
        .expr(sea_query::Func::count(sea_query::Expr::col("seq")))
        .from("audit_events")
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col("operation"),
            "POST /auth/challenge",
        ))
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col("outcome"),
            "RATE_LIMITED",
        ))
        .to_owned();
    assert_eq!(t.db.scalar_i64(&q).await.expect("count"), limited);
    s.clock.advance(chrono::Duration::minutes(10));
    // The limiter refills in real time (20 a second by default).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let _ = challenge(&s).await;
    let q = sea_query::Query::select()
        .expr(sea_query::Func::count(sea_query::Expr::col("nonce")))
        .from("auth_challenges")
        .to_owned();
    assert_eq!(
        t.db.scalar_i64(&q).await.expect("count"),
        1,
        "only the new challenge is kept"
    );
}

/// Operator-issued tokens serve only a server told to accept them (or a demo), and live at
/// most a day; signature-login tokens serve every server.
#[tokio::test]
async fn operator_tokens_serve_only_servers_that_accept_them() {
    use audit_hub::authz::token::Method;
    let t = TestDb::with_demo(1).await;
    let user = user_of(&t.db, "PARLIAMENT", "", true).await;
    let keys = common::keys();
    let now = chrono::Utc::now();
    let hour = std::time::Duration::from_secs(3600);
    let operator = keys
        .issue(&user.iin, Method::Operator, hour, now)
        .expect("operator token")
        .token;
    let signed_in = keys
        .issue(&user.iin, Method::Eds, hour, now)
        .expect("token")
        .token;
    let me = "{ me { user { iin } } }";
    let strict = TestServer::start(&t.db).await;
    let lenient = TestServer::start_with(&t.db, |mut st| {
        st.allow_operator_tokens = true;
        st
    })
    .await;
    for (name, server, token, accepted) in [
        ("operator token, default server", &strict, &operator, false),
        ("signature token, default server", &strict, &signed_in, true),
        (
            "operator token, --allow-operator-tokens",
            &lenient,
            &operator,
            true,
        ),
    ] {
        let v: Value = server
            .client
            .post(server.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": me }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let ok = v["data"]["me"]["user"]["iin"] == user.iin.as_str();
        assert_eq!(ok, accepted, "{name}: {v}");
        if !accepted {
            assert_eq!(
                v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{name}"
            );
        }
    }
    assert!(
        keys.issue(&user.iin, Method::Operator, 25 * hour, now)
            .is_err(),
        "no operator token lives past 24 hours"
    );
}
