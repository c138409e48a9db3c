//! An OpenSSL-made PKI for the sign-in tests: CAs, legal-entity leaves, CMS signatures, CRLs
//! (full and delta) and OCSP answers, in RSA and GOST 2012 (OpenSSL's GOST engine, Debian
//! `libengine-gost-openssl`); and the sign-in steps those tests share.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::TestServer;

/// An OpenSSL-made PKI in a temporary folder: a CA, and leaves whose keys sign CMS over a nonce
/// as NCALayer does. GOST keys need OpenSSL's GOST engine (Debian `libengine-gost-openssl`).
pub struct OpenSsl {
    pub dir: tempfile::TempDir,
}

/// A key type: the `openssl genpkey` algorithm and options, and the digest CMS signs with.
#[derive(Clone, Copy)]
pub struct KeyKind {
    pub name: &'static str,
    pub algorithm: &'static str,
    pub options: &'static [&'static str],
    pub digest: &'static str,
    pub gost: bool,
}

pub const RSA: KeyKind = KeyKind {
    name: "RSA 2048",
    algorithm: "RSA",
    options: &["rsa_keygen_bits:2048"],
    digest: "sha256",
    gost: false,
};
pub const GOST_KINDS: [KeyKind; 4] = [
    KeyKind {
        name: "GOST 2012 256 paramset A",
        algorithm: "gost2012_256",
        options: &["paramset:A"],
        digest: "md_gost12_256",
        gost: true,
    },
    KeyKind {
        name: "GOST 2012 256 paramset B (CryptoPro A)",
        algorithm: "gost2012_256",
        options: &["paramset:B"],
        digest: "md_gost12_256",
        gost: true,
    },
    KeyKind {
        name: "GOST 2012 512 paramset A",
        algorithm: "gost2012_512",
        options: &["paramset:A"],
        digest: "md_gost12_512",
        gost: true,
    },
    KeyKind {
        name: "GOST 2012 512 paramset C",
        algorithm: "gost2012_512",
        options: &["paramset:C"],
        digest: "md_gost12_512",
        gost: true,
    },
];

impl OpenSsl {
    pub fn new() -> OpenSsl {
        OpenSsl {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub fn run(&self, kind: KeyKind, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new("openssl");
        cmd.arg(args[0]);
        if kind.gost {
            cmd.args(["-engine", "gost"]);
        }
        let out = cmd
            .args(&args[1..])
            .current_dir(self.dir.path())
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn key(&self, kind: KeyKind, name: &str) -> String {
        let file = self.path(&format!("{name}.key"));
        let mut args = vec!["genpkey", "-algorithm", kind.algorithm];
        for o in kind.options {
            args.extend(["-pkeyopt", o]);
        }
        args.extend(["-out", file.as_str()]);
        self.run(kind, &args);
        file
    }

    /// A self-signed CA of `kind`; its certificate file.
    pub fn ca(&self, kind: KeyKind, name: &str) -> String {
        let key = self.key(kind, name);
        let cert = self.path(&format!("{name}.pem"));
        let digest = format!("-{}", kind.digest);
        self.run(
            kind,
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                &key,
                &digest,
                "-days",
                "3650",
                "-subj",
                &format!("/C=KZ/CN={name}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                &cert,
            ],
        );
        cert
    }

    /// A leaf of `kind` for `iin` at `bin` issued by the CA `ca`, with the role and validity
    /// given; its (certificate, key) files.
    pub fn leaf(&self, kind: KeyKind, ca: &str, name: &str, leaf: &LeafSpec) -> (String, String) {
        let key = self.key(kind, name);
        let csr = self.path(&format!("{name}.csr"));
        let cert = self.path(&format!("{name}.pem"));
        let ext = self.path(&format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!(
                "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth,{}\n",
                leaf.role
            ),
        )
        .expect("extensions");
        let digest = format!("-{}", kind.digest);
        self.run(
            kind,
            &[
                "req",
                "-new",
                "-key",
                &key,
                &digest,
                "-subj",
                &format!(
                    "/C=KZ/CN=TESTOV TEST/serialNumber=IIN{}/OU=BIN{}",
                    leaf.iin, leaf.bin
                ),
                "-out",
                &csr,
            ],
        );
        let ca_key = ca.replace(".pem", ".key");
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            &digest,
            "-extfile",
            &ext,
            "-out",
            &cert,
        ];
        let days = leaf.days.to_string();
        args.extend(["-days", days.as_str()]);
        self.run(kind, &args);
        (cert, key)
    }

    /// The CA's `openssl ca` configuration (created at first use): its certificate database
    /// accumulates across calls, as a real CA's does.
    fn ca_config(&self, kind: KeyKind, ca: &str) -> (String, String) {
        let stem = ca.trim_end_matches(".pem");
        let cnf = format!("{stem}.cnf");
        if !std::path::Path::new(&cnf).exists() {
            std::fs::write(format!("{stem}.index"), "").expect("index");
            std::fs::write(format!("{stem}.crlnumber"), "01\n").expect("crl number");
            let mut text = format!(
                "[ca]\ndefault_ca = own\n[own]\nunique_subject = no\ndatabase = {stem}.index\ncrlnumber = {stem}.crlnumber\n\
                 default_md = {}\ndefault_crl_days = 1\ncrl_extensions = ext\n[ext]\n\
                 authorityKeyIdentifier = keyid:always\n",
                kind.digest
            );
            // Delta CRLs over the full lists numbered 1 to 9.
            for base in 1..10 {
                text.push_str(&format!(
                    "[delta{base}]\nauthorityKeyIdentifier = keyid:always\n\
                     2.5.29.27 = critical,ASN1:INTEGER:{base}\n"
                ));
            }
            std::fs::write(&cnf, text).expect("ca config");
        }
        (cnf, format!("{stem}.key"))
    }

    /// Records `cert` as issued and valid in the CA's database (what its responder answers
    /// "good" for).
    pub fn record_valid(&self, kind: KeyKind, ca: &str, cert: &str) {
        let (cnf, key) = self.ca_config(kind, ca);
        self.run(
            kind,
            &[
                "ca", "-config", &cnf, "-valid", cert, "-keyfile", &key, "-cert", ca,
            ],
        );
    }

    /// Revokes `cert` in the CA's database.
    pub fn revoke(&self, kind: KeyKind, ca: &str, cert: &str) {
        let (cnf, key) = self.ca_config(kind, ca);
        self.run(
            kind,
            &[
                "ca", "-config", &cnf, "-revoke", cert, "-keyfile", &key, "-cert", ca,
            ],
        );
    }

    /// A full CRL (PEM) of the CA `ca`, after revoking `revoked` (certificate files), valid for
    /// a day.
    pub fn crl(&self, kind: KeyKind, ca: &str, revoked: &[&str]) -> String {
        for cert in revoked {
            self.revoke(kind, ca, cert);
        }
        self.gencrl(kind, ca, "crl", &[])
    }

    /// A delta CRL (PEM) of the CA `ca` over its full list number `base`, listing everything the
    /// CA has revoked, valid for `hours`.
    pub fn delta_crl(&self, kind: KeyKind, ca: &str, base: u32, hours: u32) -> String {
        let section = format!("delta{base}");
        let hours = hours.to_string();
        self.gencrl(
            kind,
            ca,
            &format!("delta{base}.{hours}h.crl"),
            &["-crlexts", &section, "-crlhours", &hours],
        )
    }

    fn gencrl(&self, kind: KeyKind, ca: &str, suffix: &str, extra: &[&str]) -> String {
        let (cnf, key) = self.ca_config(kind, ca);
        let out = format!("{}.{suffix}", ca.trim_end_matches(".pem"));
        let mut args = vec![
            "ca", "-config", &cnf, "-gencrl", "-keyfile", &key, "-cert", ca, "-out", &out,
        ];
        args.extend(extra);
        self.run(kind, &args);
        out
    }

    /// A certificate issued by `ca` for an OCSP responder: with the OCSP-signing extended key
    /// usage when `for_ocsp`, else a plain client certificate. Its (certificate, key) files.
    pub fn responder(
        &self,
        kind: KeyKind,
        ca: &str,
        name: &str,
        for_ocsp: bool,
    ) -> (String, String) {
        let key = self.key(kind, name);
        let cert = self.path(&format!("{name}.pem"));
        let ext = self.path(&format!("{name}.ext"));
        let usage = if for_ocsp {
            "OCSPSigning"
        } else {
            "clientAuth"
        };
        std::fs::write(
            &ext,
            format!("keyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n"),
        )
        .expect("extensions");
        let csr = self.path(&format!("{name}.csr"));
        let digest = format!("-{}", kind.digest);
        let subject = format!("/C=KZ/CN={name}");
        self.run(
            kind,
            &[
                "req", "-new", "-key", &key, &digest, "-subj", &subject, "-out", &csr,
            ],
        );
        let ca_key = ca.replace(".pem", ".key");
        self.run(
            kind,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                ca,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                &digest,
                "-extfile",
                &ext,
                "-days",
                "30",
                "-out",
                &cert,
            ],
        );
        (cert, key)
    }

    /// The CA's OCSP answer (DER) to `request`, signed by `signer` (a certificate and key file),
    /// from the CA's database, valid for a day. `openssl ocsp` takes no `-engine`: GOST keys
    /// reach it through a configuration that loads the engine.
    pub fn ocsp_answer(
        &self,
        kind: KeyKind,
        ca: &str,
        (signer, signer_key): (&str, &str),
        request: &[u8],
    ) -> Vec<u8> {
        let (_, _) = self.ca_config(kind, ca);
        let index = format!("{}.index", ca.trim_end_matches(".pem"));
        let req = self.path("ocsp-request.der");
        let resp = self.path("ocsp-response.der");
        std::fs::write(&req, request).expect("request");
        let mut cmd = std::process::Command::new("openssl");
        if kind.gost {
            let conf = self.path("gost-engine.cnf");
            std::fs::write(
                &conf,
                "openssl_conf = main\n[main]\nengines = engines\n[engines]\ngost = gost\n\
                 [gost]\nengine_id = gost\ndefault_algorithms = ALL\n",
            )
            .expect("engine config");
            cmd.env("OPENSSL_CONF", conf);
        }
        let out = cmd
            .args([
                "ocsp",
                "-index",
                &index,
                "-CA",
                ca,
                "-rsigner",
                signer,
                "-rkey",
                signer_key,
                "-rmd",
                kind.digest,
                "-reqin",
                &req,
                "-respout",
                &resp,
                "-ndays",
                "1",
            ])
            .current_dir(self.dir.path())
            .output()
            .expect("run openssl ocsp");
        assert!(
            out.status.success(),
            "openssl ocsp: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(&resp).expect("response")
    }

    /// CMS SignedData (DER, base64) over `content` by `cert`/`key`, attached or detached, with
    /// the signer's certificate inside unless `certs` is false.
    pub fn sign(
        &self,
        kind: KeyKind,
        (cert, key): &(String, String),
        content: &str,
        attached: bool,
        certs: bool,
    ) -> String {
        let input = self.path("content.txt");
        std::fs::write(&input, content).expect("content");
        let out = self.path("signed.der");
        let md = kind.digest;
        let mut args = vec![
            "cms", "-sign", "-binary", "-in", &input, "-signer", cert, "-inkey", key, "-md", md,
            "-outform", "DER", "-out", &out,
        ];
        if attached {
            args.push("-nodetach");
        }
        if !certs {
            args.push("-nocerts");
        }
        self.run(kind, &args);
        STANDARD.encode(std::fs::read(&out).expect("cms"))
    }
}

pub struct LeafSpec {
    pub iin: String,
    pub bin: String,
    pub role: &'static str,
    pub days: u32,
}

impl LeafSpec {
    pub fn new(iin: &str, bin: &str) -> LeafSpec {
        LeafSpec {
            iin: iin.to_owned(),
            bin: bin.to_owned(),
            role: "1.2.398.3.3.4.1.2.1",
            days: 365,
        }
    }
}

pub fn gost_engine() -> bool {
    std::process::Command::new("openssl")
        .args(["engine", "gost"])
        .output()
        .is_ok_and(|o| o.status.success())
}

pub async fn cms_login(s: &TestServer, nonce: &str, cms: &str) -> (u16, Value) {
    let resp = s
        .client
        .post(s.url("/auth/login"))
        .json(&json!({ "nonce": nonce, "cms": cms }))
        .send()
        .await
        .expect("login");
    (resp.status().as_u16(), resp.json().await.expect("json"))
}

/// One CMS sign-in by `signer` on `s`: the status and refusal reason.
pub async fn attempt(
    ssl: &OpenSsl,
    kind: KeyKind,
    s: &TestServer,
    signer: &(String, String),
) -> (u16, Option<String>) {
    let nonce = challenge(s).await;
    let cms = ssl.sign(kind, signer, &nonce, true, true);
    let (status, body) = cms_login(s, &nonce, &cms).await;
    (status, body["reason"].as_str().map(str::to_owned))
}

/// A challenge from `s`.
pub async fn challenge(s: &TestServer) -> String {
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

/// RSA, and one GOST kind when OpenSSL's GOST engine is installed (required where
/// `AUDIT_HUB_GOST_TESTS=required`, as in CI).
pub fn rsa_and_gost() -> Vec<KeyKind> {
    if gost_engine() {
        vec![RSA, GOST_KINDS[0]]
    } else {
        assert!(
            std::env::var("AUDIT_HUB_GOST_TESTS").as_deref() != Ok("required"),
            "OpenSSL's GOST engine is required here but not installed"
        );
        eprintln!("GOST cases SKIPPED: install libengine-gost-openssl to run them");
        vec![RSA]
    }
}

/// A minimal HTTP peer on 127.0.0.1 (a CRL distribution point, an OCSP responder): each
/// request's body goes to `answer`, whose bytes are the 200 answer; `None` closes the connection
/// unanswered, as a peer that is down. Its base URL.
pub async fn http_peer<F>(answer: F) -> String
where
    F: Fn(Vec<u8>) -> Option<Vec<u8>> + Send + Sync + 'static,
{
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let answer = std::sync::Arc::new(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut sock = BufReader::new(sock);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if sock.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                if sock.read_exact(&mut body).await.is_err() {
                    return;
                }
                let reply = tokio::task::spawn_blocking(move || answer(body))
                    .await
                    .expect("answer");
                let Some(reply) = reply else { return };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    reply.len()
                );
                let sock = sock.get_mut();
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&reply).await;
            });
        }
    });
    url
}

/// How many sign-in attempts the trail holds with this outcome.
pub async fn login_attempts(db: &audit_hub::store::Db, outcome: &str) -> i64 {
    let q = sea_query::Query::select()
        .expr(sea_query::Func::count(sea_query::Expr::col("seq")))
        .from("audit_events")
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col("operation"),
            "POST /auth/login",
        ))
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col("outcome"),
            outcome,
        ))
        .to_owned();
    db.scalar_i64(&q).await.expect("count")
}
