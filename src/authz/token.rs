//! Bearer tokens: HS256 JWTs signed with the server's key, naming the user by IIN, with issuer,
//! audience and expiry checked on every request. Each carries how the user signed in (`amr`:
//! `eds` for a digital-signature login, `operator` for a token an operator issued) and an id
//! (`jti`) by which a logout revokes it.

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
}

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
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[ISSUER]);
        v.leeway = 5;
        let c = decode::<Claims>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| TokenError(e.to_string()))?;
        let method = if c.amr.iter().any(|m| m == Method::Eds.as_str()) {
            Method::Eds
        } else {
            Method::Operator
        };
        Ok(Verified {
            iin: c.sub,
            method,
            jti: c.jti,
            expires_at: DateTime::from_timestamp(c.exp, 0).unwrap_or_default(),
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
}
