//! Who is calling: EdDSA (Ed25519) JWTs, signed by an issuer's private key and
//! verified against a trust list of issuer -> public key.
//!
//! User tokens come from the gateway (the "user issuer"). A service calling
//! another service signs its own short-lived token naming the user it acts
//! for, so a leaked user token cannot reach internal methods and no service
//! but the gateway can mint user tokens. Which callers may call which method
//! is the [`policy`]'s job.

pub mod policy;
mod verified;

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding},
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use policy::{Access, AuthLayer, Grant, Policy};

use verified::{Verified, VerifiedTokens, unexpired};

/// Seconds a token may be past its expiry and still be accepted (clock
/// skew between the issuer and the verifier).
const LEEWAY: u64 = 5;

/// The default names of Shop's token issuers (each configurable where keys
/// are configured).
pub mod issuer {
    /// The gateway: the only issuer of user tokens.
    pub const GATEWAY: &str = "shop-gateway";
    /// The orders service, acting for a user when it calls inventory or payments.
    pub const ORDERS: &str = "shop-orders";
}

/// The audience every Shop token names by default.
pub const DEFAULT_AUDIENCE: &str = "shop";

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

/// The claims of every Shop token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Who signed the token.
    pub iss: String,
    /// The user the token speaks for.
    pub sub: String,
    /// Who the token is meant for.
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: u64,
    /// The user's role.
    pub role: Role,
    /// The token's own id (a UUID), so two tokens signed in the same second
    /// for the same user still differ: a client that tells a renewed token
    /// from the one it replaced by comparing them must never see the same
    /// text twice. Tokens from before it carry none.
    #[serde(default)]
    pub jti: String,
}

/// The verified caller of a request, put in the request's extensions by
/// [`AuthLayer`] for the handlers to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user the call is made for.
    pub user_id: String,
    /// That user's role.
    pub role: Role,
    /// The service making the call for the user, if it is not the user
    /// (through the gateway) themselves.
    pub service: Option<String>,
}

impl Principal {
    /// The verified caller of a request that the policy let through with a
    /// token; UNAUTHENTICATED if there is none (a public method).
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Principal, tonic::Status> {
        request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| tonic::Status::unauthenticated("this method needs a bearer token"))
    }

    /// Whether the user is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Why a token or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    MissingToken,
    #[error("malformed authorization header; expected `Bearer <token>`")]
    MalformedHeader,
    #[error("token issuer is not trusted")]
    UntrustedIssuer,
    #[error("token has expired")]
    Expired,
    #[error("token is invalid")]
    Invalid,
    #[error("invalid key: {0}")]
    BadKey(String),
    #[error("cannot sign token")]
    Signing,
}

/// A freshly generated Ed25519 key pair, PEM encoded.
#[derive(Clone)]
pub struct KeyPair {
    /// PKCS#8 private key; keep it secret.
    pub private_pem: String,
    /// SPKI public key; give it to every service that must trust the issuer.
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// The key pair of a PKCS#8 PEM private key (the public half is derived).
    pub fn from_private_pem(private_pem: &str) -> Result<Self, AuthError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let signing = SigningKey::from_pkcs8_pem(private_pem)
            .map_err(|e| AuthError::BadKey(e.to_string()))?;
        let public_pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self {
            private_pem: private_pem.to_owned(),
            public_pem,
        })
    }

    /// A new random key pair from the operating system's generator.
    pub fn generate() -> Result<Self, AuthError> {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let private_pem = signing
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| AuthError::BadKey(e.to_string()))?
            .to_string();
        let public_pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self {
            private_pem,
            public_pem,
        })
    }
}

/// Signs tokens as one issuer.
#[derive(Clone)]
pub struct Signer {
    issuer: String,
    audience: String,
    ttl: Duration,
    key: Arc<EncodingKey>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for `issuer` with its PKCS#8 PEM private key; tokens are for
    /// `audience` and live `ttl`.
    pub fn new(
        issuer: &str,
        audience: &str,
        private_pem: &str,
        ttl: Duration,
    ) -> Result<Self, AuthError> {
        let key = EncodingKey::from_ed_pem(private_pem.as_bytes())
            .map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
            key: Arc::new(key),
        })
    }

    /// The issuer this signer signs as.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How long the tokens it signs live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token saying `issuer` vouches for `user_id` with `role`.
    pub fn sign(&self, user_id: &str, role: Role) -> Result<String, AuthError> {
        let now = unix_now();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: user_id.to_owned(),
            aud: self.audience.clone(),
            exp: now + self.ttl.as_secs().max(1),
            iat: now,
            role,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        // The key id names the issuer, so the verifier picks the key before
        // it trusts anything in the payload.
        header.kid = Some(self.issuer.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|_| AuthError::Signing)
    }
}

/// Verifies tokens against the trust list. Cheap to clone.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

#[derive(Clone)]
struct VerifierInner {
    user_issuer: String,
    audience: String,
    /// Several keys per issuer while a key is being rotated.
    keys: HashMap<String, Vec<DecodingKey>>,
    /// Tokens that verified under these keys.
    verified: VerifiedTokens,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("user_issuer", &self.inner.user_issuer)
            .field("audience", &self.inner.audience)
            .field("trusted", &self.issuers())
            .finish()
    }
}

impl Verifier {
    /// A verifier that trusts no one yet. `user_issuer` names the issuer of
    /// user tokens; every accepted token must be for `audience`.
    pub fn new(user_issuer: &str, audience: &str) -> Self {
        Self {
            inner: Arc::new(VerifierInner {
                user_issuer: user_issuer.to_owned(),
                audience: audience.to_owned(),
                keys: HashMap::new(),
                verified: VerifiedTokens::new(),
            }),
        }
    }

    /// Also trusts `issuer`, whose Ed25519 public key is `public_pem` (SPKI).
    /// Trusting a second key for the same issuer keeps the first: both are
    /// accepted, which is how a key is rotated without a cut.
    pub fn trust(mut self, issuer: &str, public_pem: &str) -> Result<Self, AuthError> {
        let key = DecodingKey::from_ed_pem(public_pem.as_bytes())
            .map_err(|e| AuthError::BadKey(format!("issuer {issuer:?}: {e}")))?;
        let inner = Arc::make_mut(&mut self.inner);
        inner.keys.entry(issuer.to_owned()).or_default().push(key);
        // A cache of its own: a clone made before keeps its trust list.
        inner.verified = VerifiedTokens::new();
        Ok(self)
    }

    /// The issuers trusted, each once.
    pub fn issuers(&self) -> Vec<&str> {
        let mut issuers: Vec<&str> = self.inner.keys.keys().map(String::as_str).collect();
        issuers.sort_unstable();
        issuers
    }

    /// The verified caller of a token.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(known) = self.inner.verified.get(token) {
            return if unexpired(known.exp, unix_now(), LEEWAY) {
                Ok(known.principal)
            } else {
                Err(AuthError::Expired)
            };
        }
        let verified = self.verify_signature(token)?;
        self.inner.verified.insert(token, verified.clone());
        Ok(verified.principal)
    }

    fn verify_signature(&self, token: &str) -> Result<Verified, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid)?;
        let issuer = header.kid.ok_or(AuthError::Invalid)?;
        let keys = self
            .inner
            .keys
            .get(&issuer)
            .ok_or(AuthError::UntrustedIssuer)?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&self.inner.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY;
        // The first key whose signature matches decides (an expired token
        // has a matching signature: it is expired, not invalid).
        let mut outcome = Err(AuthError::Invalid);
        for key in keys {
            outcome = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| match e
                .kind()
            {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            });
            if !matches!(outcome, Err(AuthError::Invalid)) {
                break;
            }
        }
        let data = outcome?;

        let claims = data.claims;
        let service = (claims.iss != self.inner.user_issuer).then_some(claims.iss);
        Ok(Verified {
            principal: Principal {
                user_id: claims.sub,
                role: claims.role,
                service,
            },
            exp: claims.exp,
        })
    }

    /// The token in an `authorization: Bearer <token>` header value.
    pub fn bearer(header: Option<&str>) -> Result<&str, AuthError> {
        let value = header.ok_or(AuthError::MissingToken)?;
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
                Ok(token.trim())
            }
            _ => Err(AuthError::MalformedHeader),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(issuer: &str, keys: &KeyPair) -> Signer {
        Signer::new(issuer, "shop", &keys.private_pem, Duration::from_secs(60)).expect("signer")
    }

    #[test]
    fn two_tokens_signed_at_once_for_the_same_user_differ() {
        let keys = KeyPair::generate().expect("keys");
        let signer = signer("shop-gateway", &keys);
        let first = signer.sign("alice", Role::Customer).expect("sign");
        let second = signer.sign("alice", Role::Customer).expect("sign");
        assert_ne!(first, second);
    }

    #[test]
    fn the_public_key_is_derived_from_the_private_one() {
        let keys = KeyPair::generate().expect("keys");
        let again = KeyPair::from_private_pem(&keys.private_pem).expect("parse");
        assert_eq!(again.public_pem, keys.public_pem);
        assert!(KeyPair::from_private_pem("not a key").is_err());
    }

    #[test]
    fn a_user_token_from_the_gateway_verifies() {
        let keys = KeyPair::generate().expect("keys");
        let verifier = Verifier::new("gw", "shop")
            .trust("gw", &keys.public_pem)
            .expect("trust");
        let token = signer("gw", &keys).sign("u1", Role::Admin).expect("sign");
        let principal = verifier.verify(&token).expect("valid");
        assert_eq!(principal.user_id, "u1");
        assert!(principal.is_admin());
        assert_eq!(principal.service, None);
    }

    #[test]
    fn a_token_seen_before_is_accepted_from_the_cache_until_it_expires_and_a_tampered_one_never() {
        let keys = KeyPair::generate().expect("keys");
        let verifier = Verifier::new("gw", "shop")
            .trust("gw", &keys.public_pem)
            .expect("trust");
        let token = signer("gw", &keys).sign("u1", Role::Admin).expect("sign");
        let first = verifier.verify(&token).expect("valid");
        assert_eq!(verifier.verify(&token).expect("valid again"), first);
        // One character of the signature changed: verified afresh, refused.
        let mut tampered = token.clone();
        let last = tampered.pop().expect("not empty");
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(verifier.verify(&tampered), Err(AuthError::Invalid));
        // A kept token past its expiry (and the leeway) is refused as expired.
        let mut known = verifier.inner.verified.get(&token).expect("kept");
        known.exp = unix_now() - LEEWAY - 1;
        verifier.inner.verified.insert(&token, known);
        assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
    }

    #[test]
    fn a_verifier_trusting_one_more_key_does_not_share_the_cache_of_its_original() {
        let (first, second) = (
            KeyPair::generate().expect("keys"),
            KeyPair::generate().expect("keys"),
        );
        let narrow = Verifier::new("gw", "shop")
            .trust("gw", &first.public_pem)
            .expect("trust");
        let wide = narrow
            .clone()
            .trust("orders", &second.public_pem)
            .expect("trust");
        let token = signer("orders", &second)
            .sign("u1", Role::Customer)
            .expect("sign");
        assert!(wide.verify(&token).is_ok());
        assert_eq!(narrow.verify(&token), Err(AuthError::UntrustedIssuer));
    }

    #[test]
    fn a_service_token_names_the_service_and_the_user() {
        let keys = KeyPair::generate().expect("keys");
        let verifier = Verifier::new("gw", "shop")
            .trust("orders", &keys.public_pem)
            .expect("trust");
        let token = signer("orders", &keys)
            .sign("u1", Role::Customer)
            .expect("sign");
        let principal = verifier.verify(&token).expect("valid");
        assert_eq!(principal.service.as_deref(), Some("orders"));
    }

    #[test]
    fn untrusted_issuers_and_forged_signatures_are_refused() {
        let trusted = KeyPair::generate().expect("keys");
        let attacker = KeyPair::generate().expect("keys");
        let verifier = Verifier::new("gw", "shop")
            .trust("gw", &trusted.public_pem)
            .expect("trust");

        let unknown = signer("evil", &attacker)
            .sign("u1", Role::Admin)
            .expect("sign");
        assert_eq!(verifier.verify(&unknown), Err(AuthError::UntrustedIssuer));

        let forged = signer("gw", &attacker)
            .sign("u1", Role::Admin)
            .expect("sign");
        assert_eq!(verifier.verify(&forged), Err(AuthError::Invalid));

        assert_eq!(verifier.verify("not.a.token"), Err(AuthError::Invalid));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = KeyPair::generate().expect("keys");
        let verifier = Verifier::new("gw", "shop")
            .trust("gw", &keys.public_pem)
            .expect("trust");
        let now = unix_now();
        let claims = Claims {
            iss: "gw".into(),
            sub: "u1".into(),
            aud: "shop".into(),
            exp: now - 600,
            iat: now - 900,
            role: Role::Customer,
            jti: String::new(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("gw".into());
        let key = EncodingKey::from_ed_pem(keys.private_pem.as_bytes()).expect("key");
        let token = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
        assert_eq!(verifier.verify(&token), Err(AuthError::Expired));
    }

    #[test]
    fn tokens_for_another_audience_are_refused() {
        let keys = KeyPair::generate().expect("keys");
        let verifier = Verifier::new("gw", "shop")
            .trust("gw", &keys.public_pem)
            .expect("trust");
        let other = Signer::new(
            "gw",
            "elsewhere",
            &keys.private_pem,
            Duration::from_secs(60),
        )
        .expect("signer");
        let token = other.sign("u1", Role::Customer).expect("sign");
        assert_eq!(verifier.verify(&token), Err(AuthError::Invalid));
    }

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        assert_eq!(Verifier::bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(Verifier::bearer(Some("bearer abc")), Ok("abc"));
        assert_eq!(Verifier::bearer(None), Err(AuthError::MissingToken));
        assert_eq!(
            Verifier::bearer(Some("Basic abc")),
            Err(AuthError::MalformedHeader)
        );
        assert_eq!(
            Verifier::bearer(Some("Bearer")),
            Err(AuthError::MalformedHeader)
        );
    }

    #[test]
    fn during_a_rotation_both_keys_of_an_issuer_are_accepted() {
        let (old, new) = (
            KeyPair::generate().expect("keys"),
            KeyPair::generate().expect("keys"),
        );
        let verifier = Verifier::new("gw", "shop")
            .trust("gw", &old.public_pem)
            .and_then(|v| v.trust("gw", &new.public_pem))
            .expect("trust both");
        assert_eq!(verifier.issuers(), ["gw"]);
        for keys in [&old, &new] {
            let token = signer("gw", keys).sign("u1", Role::Customer).expect("sign");
            assert_eq!(verifier.verify(&token).expect("accepted").user_id, "u1");
        }
        let stranger = KeyPair::generate().expect("keys");
        let forged = signer("gw", &stranger)
            .sign("u1", Role::Admin)
            .expect("sign");
        assert!(matches!(verifier.verify(&forged), Err(AuthError::Invalid)));
    }
}
