//! Bearer tokens: HS256 JWTs signed with the server's key, naming the user by IIN, with issuer,
//! audience and expiry checked on every request. Each carries how the user signed in (`amr`:
//! `eds` for a digital-signature login, `operator` for a token an operator issued) and an id
//! (`jti`) by which a logout revokes it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

/// Issuer and audience of every token.
pub const ISSUER: &str = "audit-hub";
/// Shortest signing key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;
/// Longest life of an operator-issued token.
pub const MAX_OPERATOR_TTL: Duration = Duration::from_secs(24 * 3600);

/// How the holder of a token signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// With the electronic digital signature of their body's legal entity.
    Eds,
    /// A token issued by an operator (`audit-hub token`, demo users).
    Operator,
}

impl Method {
    /// The `amr` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Eds => "eds",
            Method::Operator => "operator",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    /// Tokens of earlier releases carry neither: they count as operator-issued.
    #[serde(default)]
    amr: Vec<String>,
    #[serde(default)]
    jti: String,
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The user's IIN.
    pub iin: String,
    /// How they signed in.
    pub method: Method,
    /// The token's id (empty for tokens of earlier releases).
    pub jti: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// A token just issued.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The token.
    pub token: String,
    /// Its id.
    pub jti: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Tokens whose signature, issuer and audience checked out, by their exact text. A client
    /// sends the same token with every request, and checking it again (base64, HMAC, two JSON
    /// documents) was a twentieth of the server's own work on a page of budget lines. Keyed by
    /// the whole text, signature included, so only the very token that was checked is found;
    /// its expiry is still judged on every request ([`TokenKeys::verify`]). Shared by the clones
    /// of one set of keys, and by nothing signed with another key.
    verified: moka::sync::Cache<String, Arc<Verified>>,
}

/// How many verified tokens are remembered (a few hundred bytes each).
const VERIFIED_CAPACITY: u64 = 10_000;
/// How long a verified token is remembered at most: a bound on the memory of tokens no longer
/// used, not on their validity.
const VERIFIED_TTL: Duration = Duration::from_secs(15 * 60);
/// Seconds of clock skew a token's expiry is allowed.
const LEEWAY_SECS: i64 = 5;

/// Why a token was refused (never shown in detail to the caller).
#[derive(Debug, thiserror::Error)]
#[error("invalid token: {0}")]
pub struct TokenError(String);

impl TokenKeys {
    /// Keys from a secret of at least [`MIN_KEY_LEN`] bytes.
    pub fn new(secret: &[u8]) -> Result<TokenKeys, TokenError> {
        if secret.len() < MIN_KEY_LEN {
            return Err(TokenError(format!(
                "the signing key must be at least {MIN_KEY_LEN} bytes"
            )));
        }
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_live(VERIFIED_TTL)
                .build(),
        })
    }

    /// A token for the user with `iin`, signed in by `method`, valid for `ttl` from `now`;
    /// operator tokens live at most [`MAX_OPERATOR_TTL`].
    pub fn issue(
        &self,
        iin: &str,
        method: Method,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Issued, TokenError> {
        if method == Method::Operator && ttl > MAX_OPERATOR_TTL {
            return Err(TokenError(
                "an operator token lives at most 24 hours".into(),
            ));
        }
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| TokenError(e.to_string()))?;
        let expires_at = now + ttl;
        let jti = hex::encode(rand::random::<[u8; 16]>());
        let claims = Claims {
            sub: iin.to_owned(),
            iss: ISSUER.to_owned(),
            aud: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            amr: vec![method.as_str().to_owned()],
            jti: jti.clone(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError(e.to_string()))?;
        Ok(Issued {
            token,
            jti,
            expires_at,
        })
    }

    /// What a valid token says.
    pub fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        self.verify_at(token, Utc::now())
    }

    /// What a valid token says at `now` (its expiry judged at `now`, within [`LEEWAY_SECS`]).
    fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, TokenError> {
        let verified = match self.verified.get(token) {
            Some(v) => v,
            None => {
                let v = Arc::new(self.decode(token)?);
                self.verified.insert(token.to_owned(), Arc::clone(&v));
                v
            }
        };
        // The decoder judged the expiry when it first checked the token; a remembered token
        // is judged again here, by the same rule (expired once `exp` is more than the leeway
        // behind the clock).
        if verified.expires_at.timestamp() < now.timestamp() - LEEWAY_SECS {
            self.verified.invalidate(token);
            return Err(TokenError("the token has expired".into()));
        }
        Ok(Verified::clone(&verified))
    }

    /// Checks a token's signature, issuer, audience and expiry, and reads its claims.
    fn decode(&self, token: &str) -> Result<Verified, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[ISSUER]);
        v.leeway = LEEWAY_SECS.unsigned_abs();
        let c = decode::<Claims>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| TokenError(e.to_string()))?;
        let method = if c.amr.iter().any(|m| m == Method::Eds.as_str()) {
            Method::Eds
        } else {
            Method::Operator
        };
        // The expiry is judged again from this value on every use, so one that does not fit a
        // date is refused rather than read as some other date.
        let expires_at = DateTime::from_timestamp(c.exp, 0)
            .ok_or_else(|| TokenError(format!("expiry out of range: {}", c.exp)))?;
        Ok(Verified {
            iin: c.sub,
            method,
            jti: c.jti,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_and_name_the_user() {
        let k = TokenKeys::new(KEY).unwrap();
        for method in [Method::Eds, Method::Operator] {
            let t = k
                .issue(
                    "123456789013",
                    method,
                    Duration::from_secs(3600),
                    Utc::now(),
                )
                .unwrap();
            let v = k.verify(&t.token).unwrap();
            assert_eq!(
                (v.iin.as_str(), v.method, v.jti),
                ("123456789013", method, t.jti)
            );
        }
        let long = Duration::from_secs(25 * 3600);
        assert!(k.issue("1", Method::Operator, long, Utc::now()).is_err());
        assert!(k.issue("1", Method::Eds, long, Utc::now()).is_ok());
    }

    #[test]
    fn bad_tokens_are_refused() {
        let k = TokenKeys::new(KEY).unwrap();
        let other = TokenKeys::new(b"another key that is long enough....").unwrap();
        let expired = k
            .issue(
                "123456789013",
                Method::Eds,
                Duration::from_secs(60),
                Utc::now() - chrono::Duration::hours(2),
            )
            .unwrap()
            .token;
        let foreign = other
            .issue(
                "123456789013",
                Method::Eds,
                Duration::from_secs(60),
                Utc::now(),
            )
            .unwrap()
            .token;
        let valid = k
            .issue(
                "123456789013",
                Method::Eds,
                Duration::from_secs(60),
                Utc::now(),
            )
            .unwrap()
            .token;
        let tampered = format!("{}x", valid);
        for (name, token) in [
            ("expired", expired),
            ("other key", foreign),
            ("tampered", tampered),
            ("garbage", "abc".into()),
        ] {
            assert!(k.verify(&token).is_err(), "{name}");
        }
        assert!(TokenKeys::new(b"short").is_err());
    }

    /// A verified token is remembered, and what is remembered is judged again on every use.
    #[test]
    fn remembered_tokens_are_still_judged() {
        let k = TokenKeys::new(KEY).unwrap();
        let now = Utc::now();
        let t = k
            .issue("123456789013", Method::Eds, Duration::from_secs(60), now)
            .unwrap()
            .token;
        let (body, signature) = t.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let forged = format!("{body}.{flipped}{}", &signature[1..]);
        let clone = k.clone();
        let other = TokenKeys::new(b"another key that is long enough....").unwrap();
        let later = |secs| now + chrono::Duration::seconds(secs);
        // In order: the first use checks and remembers the token, the rest meet it remembered.
        let cases: [(&str, &TokenKeys, &str, DateTime<Utc>, bool); 6] = [
            ("first use", &k, &t, now, true),
            ("remembered, within its life", &k, &t, later(30), true),
            (
                "remembered, by a clone of the keys",
                &clone,
                &t,
                later(30),
                true,
            ),
            (
                "remembered, within the leeway after expiry",
                &k,
                &t,
                later(64),
                true,
            ),
            ("remembered, past the leeway", &k, &t, later(66), false),
            ("its signature changed", &k, &forged, now, false),
        ];
        for (name, keys, token, at, valid) in cases {
            assert_eq!(keys.verify_at(token, at).is_ok(), valid, "{name}");
        }
        assert!(
            other.verify_at(&t, now).is_err(),
            "keys that never signed it do not find it remembered"
        );
        // An expired token is forgotten: sent again, it is checked in full (here at the real
        // clock, where it is still valid).
        assert!(k.verified.get(t.as_str()).is_none());
        assert!(k.verify_at(&t, now).is_ok());
    }
}
