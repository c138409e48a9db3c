//! Certificate login with generated NCA-like certificates: the accepted cases and every refusal.

mod common;

use std::sync::Arc;

use audit_hub::authz::certificate::TrustAnchors;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestDb, TestServer, bin_of, user_of};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SigningKey, date_time_ymd,
};
use serde_json::{Value, json};

const LEGAL_ENTITY: [u64; 9] = [1, 2, 398, 3, 3, 4, 1, 2, 1];
const INDIVIDUAL: [u64; 8] = [1, 2, 398, 3, 3, 4, 1, 1];

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

fn ca(name: &str) -> Ca {
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

struct Leaf {
    iin: String,
    bin: String,
    roles: Vec<Vec<u64>>,
    client_auth: bool,
    not_after: (i32, u8, u8),
    rsa: bool,
}

impl Leaf {
    fn new(iin: &str, bin: &str) -> Leaf {
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
            KeyPair::from_pem(include_str!("fixtures/rsa_test_key.pem")).expect("rsa key")
        } else {
            KeyPair::generate().expect("key")
        }
    }

    fn issued_by(&self, ca: &Ca) -> (Certificate, KeyPair) {
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

async fn challenge(s: &TestServer) -> String {
    let v: Value = s
        .client
        .post(s.url("/auth/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    v["nonce"].as_str().expect("nonce").to_owned()
}

async fn login(
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
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Almaty)
        .date_naive()
        .to_string();
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
