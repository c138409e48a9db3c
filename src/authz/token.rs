//! Bearer tokens: HS256 JWTs signed with the server's key, naming the user by IIN, with issuer,
//! audience and expiry checked on every request.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

/// Issuer and audience of every token.
pub const ISSUER: &str = "audit-hub";
/// Shortest signing key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
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

    /// A token for the user with `iin`, valid for `ttl` from `now`.
    pub fn issue(
        &self,
        iin: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| TokenError(e.to_string()))?;
        let claims = Claims {
            sub: iin.to_owned(),
            iss: ISSUER.to_owned(),
            aud: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError(e.to_string()))
    }

    /// The IIN a valid token names.
    pub fn verify(&self, token: &str) -> Result<String, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[ISSUER]);
        v.leeway = 5;
        decode::<Claims>(token, &self.decoding, &v)
            .map(|d| d.claims.sub)
            .map_err(|e| TokenError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_and_name_the_user() {
        let k = TokenKeys::new(KEY).unwrap();
        let t = k
            .issue("123456789013", Duration::from_secs(3600), Utc::now())
            .unwrap();
        assert_eq!(k.verify(&t).unwrap(), "123456789013");
    }

    #[test]
    fn bad_tokens_are_refused() {
        let k = TokenKeys::new(KEY).unwrap();
        let other = TokenKeys::new(b"another key that is long enough....").unwrap();
        let expired = k
            .issue(
                "123456789013",
                Duration::from_secs(60),
                Utc::now() - chrono::Duration::hours(2),
            )
            .unwrap();
        let foreign = other
            .issue("123456789013", Duration::from_secs(60), Utc::now())
            .unwrap();
        let valid = k
            .issue("123456789013", Duration::from_secs(60), Utc::now())
            .unwrap();
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
