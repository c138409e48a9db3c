//! GOST R 34.10-2012 / ST RK GOST R 34.10-2015 signature verification (256 and 512 bit), as NCA
//! RK certificates and NCALayer signatures use it: the parameter sets by their TC26, CryptoPro
//! and NCA object identifiers, Streebog hashing, and the byte orders of X.509 and CMS.
//!
//! Only verification is implemented, on public data, so nothing here needs to run in constant
//! time. Big-number arithmetic is `num-bigint`'s; the curve arithmetic (Jacobian coordinates)
//! and the signature check of §6.2 of the standard are short and written here, tested against
//! the standard's own worked examples and against signatures made by OpenSSL's GOST engine.
//!
//! Byte orders (RFC 9215, RFC 4491 §2.2): a public key is the OCTET STRING `X || Y`, each
//! coordinate little-endian; a signature value is `s || r`, each big-endian; the digest is read
//! as a little-endian integer.

use std::sync::LazyLock;

use num_bigint::BigUint;

/// A short Weierstrass curve `y² = x³ + ax + b` over GF(p) with a base point of prime order q.
#[derive(Debug)]
pub struct Curve {
    /// A name for messages.
    pub name: &'static str,
    p: BigUint,
    a: BigUint,
    b: BigUint,
    q: BigUint,
    base: (BigUint, BigUint),
    /// Bytes of a coordinate (32 or 64): also selects Streebog-256 or -512.
    pub bytes: usize,
}

fn hex(s: &str) -> BigUint {
    // The tables below are constants of this file; a typo fails the curve self-test.
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
}

impl Curve {
    fn new(name: &'static str, bytes: usize, params: [&str; 6]) -> Curve {
        let [p, a, b, q, x, y] = params.map(hex);
        Curve {
            name,
            p,
            a,
            b,
            q,
            base: (x, y),
            bytes,
        }
    }

    /// Whether `(x, y)` lies on the curve.
    fn contains(&self, x: &BigUint, y: &BigUint) -> bool {
        if x >= &self.p || y >= &self.p {
            return false;
        }
        let p = &self.p;
        let lhs = (y * y) % p;
        let rhs = (x * x % p * x + &self.a * x + &self.b) % p;
        lhs == rhs
    }
}

/// The parameter sets in use (RFC 4357, RFC 7836), and the test curves of the standard's
/// worked examples (for the tests only: no certificate names them).
static CURVES: LazyLock<Vec<Curve>> = LazyLock::new(|| {
    let cp_a = [
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
        "A6",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
        "1",
        "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
    ];
    let cp_b = [
        "8000000000000000000000000000000000000000000000000000000000000C99",
        "8000000000000000000000000000000000000000000000000000000000000C96",
        "3E1AF419A269A5F866A7D3C25C3DF80AE979259373FF2B182F49D4CE7E1BBC8B",
        "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F",
        "1",
        "3FA8124359F96680B83D1C3EB2C070E5C545C9858D03ECFB744BF8D717717EFC",
    ];
    let cp_c = [
        "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B",
        "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D7598",
        "805A",
        "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9",
        "0",
        "41ECE55743711A8C3CBF3783CD08C0EE4D4DC440D4641A8F366E550DFDB3BB67",
    ];
    vec![
        Curve::new("CryptoPro-A / TC26-256-B", 32, cp_a),
        Curve::new("CryptoPro-B / TC26-256-C", 32, cp_b),
        Curve::new("CryptoPro-C / TC26-256-D", 32, cp_c),
        Curve::new(
            "TC26-256-A",
            32,
            [
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
                "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
                "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
                "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
                "91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
                "32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
            ],
        ),
        Curve::new(
            "TC26-512-A",
            64,
            [
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
                "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
                "3",
                "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4",
            ],
        ),
        Curve::new(
            "TC26-512-B",
            64,
            [
                "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006F",
                "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006C",
                "687D1B459DC841457E3E06CF6F5E2517B97C7D614AF138BCBF85DC806C4B289F3E965D2DB1416D217F8B276FAD1AB69C50F78BEE1FA3106EFB8CCBC7C5140116",
                "800000000000000000000000000000000000000000000000000000000000000149A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD",
                "2",
                "1A8F7EDA389B094C2C071E3647A8940F3C123B697578C213BE6DD9E6C8EC7335DCB228FD1EDF4A39152CBCAAF8C0398828041055F94CEEEC7E21340780FE41BD",
            ],
        ),
        Curve::new(
            "TC26-512-C",
            64,
            [
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
                "DC9203E514A721875485A529D2C722FB187BC8980EB866644DE41C68E143064546E861C0E2C9EDD92ADE71F46FCF50FF2AD97F951FDA9F2A2EB6546F39689BD3",
                "B4C4EE28CEBC6C2C8AC12952CF37F16AC7EFB6A9F69F4B57FFDA2E4F0DE5ADE038CBC2FFF719D2C18DE0284B8BFEF3B52B8CC7A5F5BF0A3C8D2319A5312557E1",
                "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED",
                "E2E31EDFC23DE7BDEBE241CE593EF5DE2295B7A9CBAEF021D385F7074CEA043AA27272A7AE602BF2A7B9033DB9ED3610C6FB85487EAE97AAC5BC7928C1950148",
                "F5CE40D95B5EB899ABBCCFF5911CB8577939804D6527378B8C108C3D2090FF9BE18E2D33E3021ED2EF32D85822423B6304F726AA854BAE07D0396E9A9ADDC40F",
            ],
        ),
        Curve::new(
            "GOST R 34.10-2012 example, 256 bit",
            32,
            [
                "8000000000000000000000000000000000000000000000000000000000000431",
                "7",
                "5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E",
                "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
                "2",
                "08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8",
            ],
        ),
        Curve::new(
            "GOST R 34.10-2012 example, 512 bit",
            64,
            [
                "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15DF1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
                "7",
                "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC4361834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
                "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15DA82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
                "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
                "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
            ],
        ),
    ]
});

/// Parameter-set object identifiers, by the curve they name (TC26, CryptoPro and NCA RK
/// branches; the key-exchange sets of CryptoPro are the same curves).
const PARAMETER_SETS: &[(&str, &str)] = &[
    ("1.2.643.2.2.35.1", "CryptoPro-A / TC26-256-B"),
    ("1.2.643.2.2.36.0", "CryptoPro-A / TC26-256-B"),
    ("1.2.643.7.1.2.1.1.2", "CryptoPro-A / TC26-256-B"),
    ("1.2.398.3.10.1.1.1.1.1", "CryptoPro-A / TC26-256-B"),
    ("1.2.643.2.2.35.2", "CryptoPro-B / TC26-256-C"),
    ("1.2.643.7.1.2.1.1.3", "CryptoPro-B / TC26-256-C"),
    ("1.2.643.2.2.35.3", "CryptoPro-C / TC26-256-D"),
    ("1.2.643.2.2.36.1", "CryptoPro-C / TC26-256-D"),
    ("1.2.643.7.1.2.1.1.4", "CryptoPro-C / TC26-256-D"),
    ("1.2.643.7.1.2.1.1.1", "TC26-256-A"),
    ("1.2.398.3.10.1.1.2.1.1", "TC26-256-A"),
    ("1.2.643.7.1.2.1.2.1", "TC26-512-A"),
    ("1.2.398.3.10.1.1.2.2.1", "TC26-512-A"),
    ("1.2.643.7.1.2.1.2.2", "TC26-512-B"),
    ("1.2.643.7.1.2.1.2.3", "TC26-512-C"),
];

/// Key algorithm identifiers of GOST R 34.10-2012 / ST RK GOST R 34.10-2015 keys (TC26, NCA RK),
/// with the coordinate size they stand for.
const KEY_ALGORITHMS: &[(&str, usize)] = &[
    ("1.2.643.7.1.1.1.1", 32),
    ("1.2.398.3.10.1.1.2.1", 32),
    ("1.2.643.7.1.1.1.2", 64),
    ("1.2.398.3.10.1.1.2.2", 64),
];

/// Signature algorithm identifiers (GOST with Streebog of the key's size; TC26, NCA RK).
const SIGNATURE_ALGORITHMS: &[(&str, usize)] = &[
    ("1.2.643.7.1.1.3.2", 32),
    ("1.2.398.3.10.1.1.2.3.1", 32),
    ("1.2.643.7.1.1.3.3", 64),
    ("1.2.398.3.10.1.1.2.3.2", 64),
];

/// Streebog identifiers a key's parameters may name (TC26, NCA RK).
const DIGESTS: &[(&str, usize)] = &[
    ("1.2.643.7.1.1.2.2", 32),
    ("1.2.398.3.10.1.3.2", 32),
    ("1.2.643.7.1.1.2.3", 64),
    ("1.2.398.3.10.1.3.3", 64),
];

/// Whether `oid` names a GOST R 34.10-2012 / ST RK GOST R 34.10-2015 public key.
pub fn is_key_algorithm(oid: &str) -> bool {
    KEY_ALGORITHMS.iter().any(|(o, _)| *o == oid)
}

/// The curve a parameter-set OID names.
pub fn curve_for(oid: &str) -> Option<&'static Curve> {
    let name = PARAMETER_SETS.iter().find(|(o, _)| *o == oid)?.1;
    curve_named(name)
}

/// Every parameter-set OID, with the coordinate size of its curve.
pub fn parameter_sets() -> impl Iterator<Item = (&'static str, usize)> {
    PARAMETER_SETS
        .iter()
        .filter_map(|(oid, name)| Some((*oid, curve_named(name)?.bytes)))
}

fn curve_named(name: &str) -> Option<&'static Curve> {
    CURVES.iter().find(|c| c.name == name)
}

/// A point in Jacobian coordinates; `None` is the point at infinity.
type Jacobian = Option<(BigUint, BigUint, BigUint)>;

/// Field arithmetic modulo p.
struct Field<'a> {
    p: &'a BigUint,
}

impl Field<'_> {
    fn mul(&self, x: &BigUint, y: &BigUint) -> BigUint {
        (x * y) % self.p
    }
    fn add(&self, x: &BigUint, y: &BigUint) -> BigUint {
        (x + y) % self.p
    }
    fn sub(&self, x: &BigUint, y: &BigUint) -> BigUint {
        ((x + self.p) - (y % self.p)) % self.p
    }
    fn small(&self, k: u32, x: &BigUint) -> BigUint {
        (x * k) % self.p
    }
}

impl Curve {
    fn double(&self, pt: &Jacobian) -> Jacobian {
        let (x, y, z) = pt.as_ref()?;
        let f = Field { p: &self.p };
        if y == &BigUint::ZERO {
            return None;
        }
        let y2 = f.mul(y, y);
        let s = f.small(4, &f.mul(x, &y2));
        let z2 = f.mul(z, z);
        let m = f.add(&f.small(3, &f.mul(x, x)), &f.mul(&self.a, &f.mul(&z2, &z2)));
        let x3 = f.sub(&f.mul(&m, &m), &f.small(2, &s));
        let y3 = f.sub(&f.mul(&m, &f.sub(&s, &x3)), &f.small(8, &f.mul(&y2, &y2)));
        let z3 = f.small(2, &f.mul(y, z));
        Some((x3, y3, z3))
    }

    fn add(&self, p1: &Jacobian, p2: &Jacobian) -> Jacobian {
        let Some((x1, y1, z1)) = p1 else {
            return p2.clone();
        };
        let Some((x2, y2, z2)) = p2 else {
            return p1.clone();
        };
        let f = Field { p: &self.p };
        let z1s = f.mul(z1, z1);
        let z2s = f.mul(z2, z2);
        let u1 = f.mul(x1, &z2s);
        let u2 = f.mul(x2, &z1s);
        let s1 = f.mul(y1, &f.mul(&z2s, z2));
        let s2 = f.mul(y2, &f.mul(&z1s, z1));
        if u1 == u2 {
            return if s1 == s2 { self.double(p1) } else { None };
        }
        let h = f.sub(&u2, &u1);
        let r = f.sub(&s2, &s1);
        let h2 = f.mul(&h, &h);
        let h3 = f.mul(&h2, &h);
        let u1h2 = f.mul(&u1, &h2);
        let x3 = f.sub(&f.sub(&f.mul(&r, &r), &h3), &f.small(2, &u1h2));
        let y3 = f.sub(&f.mul(&r, &f.sub(&u1h2, &x3)), &f.mul(&s1, &h3));
        let z3 = f.mul(&h, &f.mul(z1, z2));
        Some((x3, y3, z3))
    }

    fn multiply(&self, k: &BigUint, pt: &Jacobian) -> Jacobian {
        let mut acc: Jacobian = None;
        for i in (0..k.bits()).rev() {
            acc = self.double(&acc);
            if k.bit(i) {
                acc = self.add(&acc, pt);
            }
        }
        acc
    }

    /// The affine x coordinate of a point (`None` at infinity).
    fn affine_x(&self, pt: &Jacobian) -> Option<BigUint> {
        let (x, _, z) = pt.as_ref()?;
        let f = Field { p: &self.p };
        let zinv = z.modinv(&self.p)?;
        Some(f.mul(x, &f.mul(&zinv, &zinv)))
    }

    fn affine(x: &BigUint, y: &BigUint) -> Jacobian {
        Some((x.clone(), y.clone(), BigUint::from(1u8)))
    }

    #[cfg(test)]
    fn affine_point(&self, pt: &Jacobian) -> Option<(BigUint, BigUint)> {
        let (x, y, z) = pt.as_ref()?;
        let f = Field { p: &self.p };
        let zinv = z.modinv(&self.p)?;
        let zinv2 = f.mul(&zinv, &zinv);
        Some((f.mul(x, &zinv2), f.mul(y, &f.mul(&zinv2, &zinv))))
    }
}

/// A verification key: a point of a curve.
#[derive(Debug, Clone)]
pub struct PublicKey {
    curve: &'static Curve,
    x: BigUint,
    y: BigUint,
}

impl PublicKey {
    /// A key from its coordinates; `None` unless the point lies on the curve.
    pub fn new(curve: &'static Curve, x: BigUint, y: BigUint) -> Option<PublicKey> {
        curve.contains(&x, &y).then_some(PublicKey { curve, x, y })
    }

    /// A key from the contents of a certificate's key OCTET STRING: `X || Y`, little-endian.
    pub fn from_le_bytes(curve: &'static Curve, bytes: &[u8]) -> Option<PublicKey> {
        if bytes.len() != 2 * curve.bytes {
            return None;
        }
        let (x, y) = bytes.split_at(curve.bytes);
        PublicKey::new(curve, BigUint::from_bytes_le(x), BigUint::from_bytes_le(y))
    }

    /// The curve.
    pub fn curve(&self) -> &'static Curve {
        self.curve
    }

    /// Checks `(r, s)` over a digest (read as a little-endian integer), per §6.2 of the
    /// standard.
    pub fn verify_digest(&self, digest: &[u8], r: &BigUint, s: &BigUint) -> bool {
        let c = self.curve;
        let q = &c.q;
        let zero = BigUint::ZERO;
        if r == &zero || s == &zero || r >= q || s >= q {
            return false;
        }
        let mut e = BigUint::from_bytes_le(digest) % q;
        if e == zero {
            e = BigUint::from(1u8);
        }
        let Some(v) = e.modinv(q) else {
            return false;
        };
        let z1 = (s * &v) % q;
        let z2 = (q - (r * &v) % q) % q;
        let g = Curve::affine(&c.base.0, &c.base.1);
        let key = Curve::affine(&self.x, &self.y);
        let point = c.add(&c.multiply(&z1, &g), &c.multiply(&z2, &key));
        c.affine_x(&point).is_some_and(|x| &(x % q) == r)
    }

    /// Checks a signature value as X.509 and CMS carry it (`s || r`, big-endian) over `message`,
    /// hashed with Streebog of the key's size.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let n = self.curve.bytes;
        if signature.len() != 2 * n {
            return false;
        }
        let s = BigUint::from_bytes_be(&signature[..n]);
        let r = BigUint::from_bytes_be(&signature[n..]);
        self.verify_digest(&streebog_digest(n, message), &r, &s)
    }
}

/// A GOST signature algorithm for `rustls-webpki`'s chain verification: one per encoding of the
/// issuer's key algorithm (key OID, parameter set, optional digest set) and of the signature
/// algorithm, since webpki matches algorithm identifiers byte for byte.
#[derive(Debug)]
struct ChainAlgorithm {
    key_alg: &'static [u8],
    sig_alg: &'static [u8],
    curve: &'static Curve,
}

impl rustls_pki_types::SignatureVerificationAlgorithm for ChainAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), rustls_pki_types::InvalidSignature> {
        use der::Decode;
        let point = der::asn1::OctetString::from_der(public_key)
            .map_err(|_| rustls_pki_types::InvalidSignature)?;
        let key = PublicKey::from_le_bytes(self.curve, point.as_bytes())
            .ok_or(rustls_pki_types::InvalidSignature)?;
        if key.verify(message, signature) {
            Ok(())
        } else {
            Err(rustls_pki_types::InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> rustls_pki_types::AlgorithmIdentifier {
        rustls_pki_types::AlgorithmIdentifier::from_slice(self.key_alg)
    }

    fn signature_alg_id(&self) -> rustls_pki_types::AlgorithmIdentifier {
        rustls_pki_types::AlgorithmIdentifier::from_slice(self.sig_alg)
    }
}

fn oid_der(oid: &str) -> Vec<u8> {
    use der::Encode;
    der::asn1::ObjectIdentifier::new(oid)
        .ok()
        .and_then(|o| o.to_der().ok())
        .unwrap_or_default()
}

/// Leaked once, at first use: webpki takes algorithm identifiers as `'static` slices.
fn leak(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

static CHAIN_ALGORITHMS: LazyLock<
    Vec<&'static dyn rustls_pki_types::SignatureVerificationAlgorithm>,
> = LazyLock::new(|| {
    let mut out: Vec<&'static dyn rustls_pki_types::SignatureVerificationAlgorithm> = Vec::new();
    for (key_oid, size) in KEY_ALGORITHMS {
        for (set, _) in parameter_sets().filter(|(_, b)| b == size) {
            let Some(curve) = curve_for(set) else {
                continue;
            };
            let digests = std::iter::once(None).chain(
                DIGESTS
                    .iter()
                    .filter(|(_, b)| b == size)
                    .map(|(d, _)| Some(*d)),
            );
            for digest in digests {
                let mut params = oid_der(set);
                if let Some(d) = digest {
                    params.extend(oid_der(d));
                }
                let mut key_alg = oid_der(key_oid);
                key_alg.push(0x30);
                key_alg.push(u8::try_from(params.len()).unwrap_or(0));
                key_alg.extend(params);
                let key_alg = leak(key_alg);
                for (sig_oid, _) in SIGNATURE_ALGORITHMS.iter().filter(|(_, b)| b == size) {
                    for null in [false, true] {
                        let mut sig_alg = oid_der(sig_oid);
                        if null {
                            sig_alg.extend([0x05, 0x00]);
                        }
                        let alg: &'static ChainAlgorithm = Box::leak(Box::new(ChainAlgorithm {
                            key_alg,
                            sig_alg: leak(sig_alg),
                            curve,
                        }));
                        out.push(alg);
                    }
                }
            }
        }
    }
    out
});

/// The GOST algorithms certificate chains are verified with.
pub fn chain_algorithms() -> &'static [&'static dyn rustls_pki_types::SignatureVerificationAlgorithm]
{
    &CHAIN_ALGORITHMS
}

/// Streebog-256 (for 32-byte keys) or Streebog-512 of `message`.
pub fn streebog_digest(key_bytes: usize, message: &[u8]) -> Vec<u8> {
    use streebog::Digest;
    if key_bytes == 32 {
        streebog::Streebog256::digest(message).to_vec()
    } else {
        streebog::Streebog512::digest(message).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> BigUint {
        BigUint::parse_bytes(s.as_bytes(), 10).expect("decimal")
    }

    fn curve(name: &str) -> &'static Curve {
        curve_named(name).expect("curve")
    }

    /// Every curve's base point lies on it and has the stated order: a typo in the tables
    /// fails here.
    #[test]
    fn every_parameter_set_is_consistent() {
        for c in CURVES.iter() {
            let (x, y) = &c.base;
            assert!(c.contains(x, y), "{}: base point on the curve", c.name);
            let g = Curve::affine(x, y);
            assert_eq!(c.multiply(&c.q, &g), None, "{}: q·P = O", c.name);
            assert_eq!(c.p.bits().div_ceil(8) as usize, c.bytes, "{}", c.name);
        }
        for (oid, bytes) in parameter_sets() {
            assert!(curve_for(oid).is_some_and(|c| c.bytes == bytes), "{oid}");
        }
    }

    struct Example {
        name: &'static str,
        curve: &'static str,
        d: BigUint,
        qx: BigUint,
        qy: BigUint,
        e: BigUint,
        r: BigUint,
        s: BigUint,
    }

    /// GOST R 34.10-2012, Appendix A: the key pair, the message's hash as the integer e, and
    /// the signature (r, s) printed in the standard.
    fn examples() -> Vec<Example> {
        vec![
            Example {
                name: "A.1, 256 bit",
                curve: "GOST R 34.10-2012 example, 256 bit",
                d: dec(
                    "55441196065363246126355624130324183196576709222340016572108097750006097525544",
                ),
                qx: dec(
                    "57520216126176808443631405023338071176630104906313632182896741342206604859403",
                ),
                qy: dec(
                    "17614944419213781543809391949654080031942662045363639260709847859438286763994",
                ),
                e: dec(
                    "20798893674476452017134061561508270130637142515379653289952617252661468872421",
                ),
                r: dec(
                    "29700980915817952874371204983938256990422752107994319651632687982059210933395",
                ),
                s: dec(
                    "574973400270084654178925310019147038455227042649098563933718999175515839552",
                ),
            },
            Example {
                name: "A.2, 512 bit",
                curve: "GOST R 34.10-2012 example, 512 bit",
                d: hex(
                    "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B102072E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
                ),
                qx: hex(
                    "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
                ),
                qy: hex(
                    "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
                ),
                e: hex(
                    "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C5917184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
                ),
                r: hex(
                    "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD35492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
                ),
                s: hex(
                    "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
                ),
            },
        ]
    }

    #[test]
    fn the_standards_worked_examples_verify() {
        for ex in examples() {
            let c = curve(ex.curve);
            // The key is the example's: Q = d·P.
            let g = Curve::affine(&c.base.0, &c.base.1);
            let q = c.affine_point(&c.multiply(&ex.d, &g));
            assert_eq!(
                q,
                Some((ex.qx.clone(), ex.qy.clone())),
                "{}: Q = d·P",
                ex.name
            );
            let key = PublicKey::new(c, ex.qx.clone(), ex.qy.clone()).expect("on the curve");
            // The digest whose little-endian reading is e.
            let mut digest = ex.e.to_bytes_le();
            digest.resize(c.bytes, 0);
            assert!(key.verify_digest(&digest, &ex.r, &ex.s), "{}", ex.name);
            // And nothing else verifies: another digest, r or s, or a swapped pair.
            let one = BigUint::from(1u8);
            let mut other = digest.clone();
            other[0] ^= 1;
            for (what, d, r, s) in [
                ("another digest", &other, ex.r.clone(), ex.s.clone()),
                ("r + 1", &digest, &ex.r + &one, ex.s.clone()),
                ("s + 1", &digest, ex.r.clone(), &ex.s + &one),
                ("r and s swapped", &digest, ex.s.clone(), ex.r.clone()),
                ("r = 0", &digest, BigUint::ZERO, ex.s.clone()),
                ("s = q", &digest, ex.r.clone(), c.q.clone()),
            ] {
                assert!(!key.verify_digest(d, &r, &s), "{}: {what}", ex.name);
            }
        }
    }

    #[test]
    fn keys_off_the_curve_are_refused() {
        let c = curve("TC26-256-A");
        let (x, y) = c.base.clone();
        assert!(PublicKey::new(c, x.clone(), &y + 1u8).is_none());
        assert!(PublicKey::new(c, x.clone(), y.clone()).is_some());
        let mut bytes = x.to_bytes_le();
        bytes.resize(32, 0);
        let mut yb = y.to_bytes_le();
        yb.resize(32, 0);
        bytes.extend(yb);
        assert!(PublicKey::from_le_bytes(c, &bytes).is_some());
        assert!(PublicKey::from_le_bytes(c, &bytes[..63]).is_none());
    }
}
