//! The keys a server accepts, from `[[auth.keys]]` in `baton.toml`, and who a verified request
//! is: the key's account, the scope's region, and the actions the key may perform.
//!
//! ```toml
//! [[auth.keys]]
//! access_key_id = "AKIAIOSFODNN7EXAMPLE"
//! secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"   # or secret_access_key_env = "VAR"
//! account = "123456789012"
//! actions = ["states:Describe*", "states:List*"]                # optional: every action when absent
//! ```
//!
//! Rules, as IAM has them: an access key id is 16 to 128 word characters (IAM's
//! `accessKeyIdType`: `[\w]+`, length 16–128); an account is 12 digits; an action pattern is
//! `*` or `<service>:<action>` with `*` and `?` wildcards, compared without regard to case
//! ("IAM JSON policy elements: Action": action names are case-insensitive, wildcards match
//! any run of characters or one).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_lc_rs::hmac;

use serde::Deserialize;

use crate::sigv4::{self, Claim, Refusal, Request};

/// `[auth]` in `baton.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
}

/// One `[[auth.keys]]` entry as written.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    pub access_key_id: String,
    pub secret_access_key: Option<String>,
    /// The name of an environment variable holding the secret.
    pub secret_access_key_env: Option<String>,
    pub account: String,
    pub actions: Option<Vec<String>>,
}

impl std::fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyConfig")
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("secret_access_key_env", &self.secret_access_key_env)
            .field("account", &self.account)
            .field("actions", &self.actions)
            .finish()
    }
}

impl AuthConfig {
    /// The keys, with secrets read from the environment through `env`; `None` when no key is
    /// configured (authentication off). Every mistake is named with the key it is in.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Option<Keys>, String> {
        if self.keys.is_empty() {
            return Ok(None);
        }
        let mut by_id = HashMap::new();
        for (i, key) in self.keys.iter().enumerate() {
            let at = format!("auth.keys[{i}]");
            let id = &key.access_key_id;
            if !(16..=128).contains(&id.len())
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(format!(
                    "{at}: access_key_id must be 16 to 128 letters, digits or underscores (IAM's rule), not {id:?}"
                ));
            }
            if id.starts_with(PROCESS_KEY_PREFIX) {
                return Err(format!(
                    "{at}: access_key_id {id} starts with {PROCESS_KEY_PREFIX}, which names the keys \
                     Baton gives the processes it starts"
                ));
            }
            if key.account.len() != 12 || !key.account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{at} ({id}): account must be 12 digits, not {:?}",
                    key.account
                ));
            }
            let secret = match (&key.secret_access_key, &key.secret_access_key_env) {
                (Some(secret), None) => secret.clone(),
                (None, Some(var)) => env(var).filter(|s| !s.is_empty()).ok_or_else(|| {
                    format!("{at} ({id}): the environment variable {var} is not set")
                })?,
                _ => {
                    return Err(format!(
                        "{at} ({id}): give one of secret_access_key and secret_access_key_env"
                    ))
                }
            };
            if secret.is_empty() {
                return Err(format!("{at} ({id}): the secret is empty"));
            }
            let actions = match &key.actions {
                None => None,
                Some(patterns) => {
                    for p in patterns {
                        check_pattern(p).map_err(|why| format!("{at} ({id}): actions: {why}"))?;
                    }
                    Some(patterns.clone())
                }
            };
            let entry = Key {
                secret,
                account: key.account.clone(),
                actions,
            };
            if by_id.insert(id.clone(), entry).is_some() {
                return Err(format!("{at}: access_key_id {id} is given twice"));
            }
        }
        let mut process_secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut process_secret)
            .map_err(|_| "no random bytes for the processes' keys".to_string())?;
        Ok(Some(Keys {
            by_id,
            process_secret,
            signing: SigningKeys::default(),
        }))
    }
}

/// `*`, or `service:action` with a service of lower-case letters, digits and hyphens and an
/// action of letters, digits and the wildcards.
fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern == "*" {
        return Ok(());
    }
    let Some((service, action)) = pattern.split_once(':') else {
        return Err(format!("{pattern:?} is not `service:Action`"));
    };
    let service_ok = !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let action_ok = !action.is_empty()
        && action
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?');
    if service_ok && action_ok {
        Ok(())
    } else {
        Err(format!(
            "{pattern:?} is not `service:Action` (wildcards * and ?)"
        ))
    }
}

/// A configured key.
#[derive(Clone, PartialEq, Eq)]
struct Key {
    secret: String,
    account: String,
    /// IAM action patterns; `None`: every action.
    actions: Option<Vec<String>>,
}

/// The keys a server accepts, by access key id, and the keys it gives the processes it starts.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    by_id: HashMap<String, Key>,
    /// Random for each server start: the secrets of [`Keys::process_key`] derive from it.
    process_secret: [u8; 32],
    signing: SigningKeys,
}

/// The most derived signing keys kept; past it the cache starts again.
const SIGNING_KEYS_KEPT: usize = 4096;

/// Signing keys derived, by `<key id>/<day>/<region>/<service>`: deriving one is four HMACs, most
/// of what verifying a signature costs, and it changes once a day.
/// The last one used is also kept apart, found without building the map's key.
#[derive(Default)]
struct SigningKeys {
    by_scope: Mutex<HashMap<String, Arc<hmac::Key>>>,
    last: Mutex<Option<LastKey>>,
}

struct LastKey {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
    key: Arc<hmac::Key>,
}

impl Clone for SigningKeys {
    fn clone(&self) -> Self {
        SigningKeys::default()
    }
}

impl PartialEq for SigningKeys {
    /// A cache: any two hold the same keys, derived when asked for.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SigningKeys {}

/// The access key id prefix of the keys processes get ([`Keys::process_key`]); configured keys
/// may not use it.
pub const PROCESS_KEY_PREFIX: &str = "BATONPROCESS";

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_id.keys()).finish()
    }
}

/// Who a verified request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub access_key_id: String,
    pub account: String,
    /// The credential scope's region.
    pub region: String,
    actions: Option<Vec<String>>,
}

impl Principal {
    /// Whether the key may perform `action` (`states:StartExecution`).
    pub fn allows(&self, action: &str) -> bool {
        let Some(patterns) = &self.actions else {
            return true;
        };
        patterns
            .iter()
            .any(|p| wildcard_match(p.as_bytes(), action.as_bytes()))
    }

    /// `Ok` when the key may perform `<service>:<name>`, else [`Principal::denied`]; the
    /// action's name is only put together for a key limited to some actions.
    pub fn may(&self, service: &str, name: &str) -> Result<(), Refusal> {
        if self.actions.is_none() {
            return Ok(());
        }
        let action = format!("{service}:{name}");
        if self.allows(&action) {
            Ok(())
        } else {
            Err(self.denied(&action))
        }
    }

    /// `AccessDeniedException` for `action`, in IAM's words ("User: <arn> is not authorized to
    /// perform: <action> because no identity-based policy allows the <action> action").
    pub fn denied(&self, action: &str) -> Refusal {
        Refusal::Denied(format!(
            "User: arn:aws:iam::{}:user/{} is not authorized to perform: {action} because no \
             identity-based policy allows the {action} action",
            self.account, self.access_key_id
        ))
    }
}

/// IAM's wildcards: `*` any run of characters, `?` any one; ASCII case-insensitive (action
/// names are). Iterative with one backtracking point, so no pattern costs more than the
/// product of the two lengths, and nothing recurses.
pub fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is trying to cover up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

impl Keys {
    /// The key pair a process Baton starts for an execution of `account` gets
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), so that its calls back to Baton (a task
    /// token sent back, an object put) are signed in that account: `BATONPROCESS<account>`,
    /// with a secret derived from this server start's random secret (HMAC-SHA256). It allows
    /// every action; it lasts as long as the server process.
    pub fn process_key(&self, account: &str) -> (String, String) {
        let id = format!("{PROCESS_KEY_PREFIX}{account}");
        let secret = self.process_secret_of(&id);
        (id, secret)
    }

    fn process_secret_of(&self, id: &str) -> String {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.process_secret);
        sigv4::hex(aws_lc_rs::hmac::sign(&key, id.as_bytes()).as_ref())
    }

    /// The configured key `access_key_id`, or the process key it names.
    fn key(&self, access_key_id: &str) -> Option<Cow<'_, Key>> {
        if let Some(key) = self.by_id.get(access_key_id) {
            return Some(Cow::Borrowed(key));
        }
        let account = access_key_id.strip_prefix(PROCESS_KEY_PREFIX)?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Cow::Owned(Key {
            secret: self.process_secret_of(access_key_id),
            account: account.to_string(),
            actions: None,
        }))
    }

    /// The secret of `access_key_id`, for verifiers that check signatures themselves (S3's).
    pub fn secret(&self, access_key_id: &str) -> Option<String> {
        self.key(access_key_id).map(|k| k.secret.clone())
    }

    /// The account of `access_key_id`.
    pub fn account(&self, access_key_id: &str) -> Option<String> {
        self.key(access_key_id).map(|k| k.account.clone())
    }

    /// What the request's headers (or presigned query) say about its signature, refused
    /// already when there is none, it cannot be read, or its key is not one of these: all
    /// that can be told before the body is read.
    pub fn claim(&self, headers: &http::HeaderMap, query: Option<&str>) -> Result<Claim, Refusal> {
        let claim = sigv4::claim(headers, query)?;
        if self.key(&claim.access_key_id).is_none() {
            return Err(Refusal::UnknownKey);
        }
        Ok(claim)
    }

    /// Who sent `request`, whose signature `claim` (from [`Keys::claim`]) describes, once the
    /// signature holds.
    pub fn verify(
        &self,
        claim: Claim,
        request: &Request<'_>,
        now: SystemTime,
    ) -> Result<Principal, Refusal> {
        let key = self.key(&claim.access_key_id).ok_or(Refusal::UnknownKey)?;
        let signing = self.signing_key(&key.secret, &claim);
        sigv4::verify_with(&claim, &signing, request, now)?;
        Ok(Principal {
            access_key_id: claim.access_key_id,
            account: key.account.clone(),
            region: claim.region,
            actions: key.actions.clone(),
        })
    }

    /// Who sent `request`, once its signature holds: read the claim, find the key, verify.
    pub fn authenticate(
        &self,
        request: &Request<'_>,
        now: SystemTime,
    ) -> Result<Principal, Refusal> {
        let claim = self.claim(request.headers, request.query)?;
        self.verify(claim, request, now)
    }

    /// The signing key of `claim`'s scope, derived once a day per key, region and service.
    fn signing_key(&self, secret: &str, claim: &Claim) -> Arc<hmac::Key> {
        let mut last = self.signing.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = last.as_ref().filter(|l| {
            l.access_key_id == claim.access_key_id
                && l.date == claim.scope_date
                && l.region == claim.region
                && l.service == claim.service
        }) {
            return l.key.clone();
        }
        let key = self.derived(secret, claim);
        *last = Some(LastKey {
            access_key_id: claim.access_key_id.clone(),
            date: claim.scope_date.clone(),
            region: claim.region.clone(),
            service: claim.service.clone(),
            key: key.clone(),
        });
        key
    }

    /// The signing key of `claim`'s scope from the map, derived when it is not there.
    fn derived(&self, secret: &str, claim: &Claim) -> Arc<hmac::Key> {
        let id = format!(
            "{}/{}/{}/{}",
            claim.access_key_id, claim.scope_date, claim.region, claim.service
        );
        let mut cache = self
            .signing
            .by_scope
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(key) = cache.get(&id) {
            return key.clone();
        }
        let key = Arc::new(sigv4::signing_key(
            secret,
            &claim.scope_date,
            &claim.region,
            &claim.service,
        ));
        if cache.len() >= SIGNING_KEYS_KEPT {
            cache.clear();
        }
        cache.insert(id, key.clone());
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_keys: Vec<KeyConfig>) -> AuthConfig {
        AuthConfig { keys: toml_keys }
    }

    fn key(id: &str, account: &str) -> KeyConfig {
        KeyConfig {
            access_key_id: id.into(),
            secret_access_key: Some("secret".into()),
            secret_access_key_env: None,
            account: account.into(),
            actions: None,
        }
    }

    #[test]
    fn no_keys_is_authentication_off() {
        assert_eq!(AuthConfig::default().resolve(|_| None), Ok(None));
    }

    #[test]
    fn mistakes_are_named() {
        let cases: Vec<(KeyConfig, &str)> = vec![
            (key("SHORT", "123456789012"), "16 to 128"),
            (key("AKIA-EXAMPLE-KEY-0001", "123456789012"), "16 to 128"),
            (key("AKIAIOSFODNN7EXAMPLE", "12345"), "12 digits"),
            (
                KeyConfig {
                    secret_access_key: None,
                    ..key("AKIAIOSFODNN7EXAMPLE", "123456789012")
                },
                "give one of",
            ),
            (
                KeyConfig {
                    secret_access_key: None,
                    secret_access_key_env: Some("NOT_SET".into()),
                    ..key("AKIAIOSFODNN7EXAMPLE", "123456789012")
                },
                "NOT_SET is not set",
            ),
            (
                KeyConfig {
                    actions: Some(vec!["StartExecution".into()]),
                    ..key("AKIAIOSFODNN7EXAMPLE", "123456789012")
                },
                "not `service:Action`",
            ),
            (
                KeyConfig {
                    actions: Some(vec!["states:Start Execution".into()]),
                    ..key("AKIAIOSFODNN7EXAMPLE", "123456789012")
                },
                "not `service:Action`",
            ),
        ];
        for (k, expected) in cases {
            let error = config(vec![k.clone()]).resolve(|_| None).unwrap_err();
            assert!(error.contains(expected), "{k:?}: {error}");
        }
        let twice = config(vec![
            key("AKIAIOSFODNN7EXAMPLE", "123456789012"),
            key("AKIAIOSFODNN7EXAMPLE", "210987654321"),
        ]);
        assert!(twice.resolve(|_| None).unwrap_err().contains("twice"));
    }

    #[test]
    fn secrets_come_from_the_environment_when_named() {
        let k = KeyConfig {
            secret_access_key: None,
            secret_access_key_env: Some("BATON_TEST_SECRET".into()),
            ..key("AKIAIOSFODNN7EXAMPLE", "123456789012")
        };
        let keys = config(vec![k])
            .resolve(|var| (var == "BATON_TEST_SECRET").then(|| "from-env".to_string()))
            .unwrap()
            .unwrap();
        assert_eq!(
            keys.secret("AKIAIOSFODNN7EXAMPLE").as_deref(),
            Some("from-env")
        );
        assert_eq!(
            keys.account("AKIAIOSFODNN7EXAMPLE").as_deref(),
            Some("123456789012")
        );
        assert_eq!(keys.secret("AKIAIOSFODNN7EXAMPLF"), None);
    }

    #[test]
    fn processes_get_a_key_of_their_account_that_no_one_can_guess() {
        let keys = config(vec![key("AKIAIOSFODNN7EXAMPLE", "123456789012")])
            .resolve(|_| None)
            .unwrap()
            .unwrap();
        let (id, secret) = keys.process_key("210987654321");
        assert_eq!(id, "BATONPROCESS210987654321");
        assert_eq!(keys.secret(&id), Some(secret.clone()));
        assert_eq!(keys.account(&id).as_deref(), Some("210987654321"));
        // Another account's process key has another secret; another start, others again.
        assert_ne!(keys.process_key("123456789012").1, secret);
        let again = config(vec![key("AKIAIOSFODNN7EXAMPLE", "123456789012")])
            .resolve(|_| None)
            .unwrap()
            .unwrap();
        assert_ne!(again.process_key("210987654321").1, secret);
        // Only 12-digit accounts name process keys; configured ids may not take the prefix.
        assert_eq!(keys.secret("BATONPROCESS12345"), None);
        assert_eq!(keys.secret("BATONPROCESS21098765432x"), None);
        let taken = config(vec![key("BATONPROCESS123456789012", "123456789012")]);
        assert!(taken
            .resolve(|_| None)
            .unwrap_err()
            .contains("BATONPROCESS"));
    }

    #[test]
    fn the_secret_is_never_printed() {
        let k = key("AKIAIOSFODNN7EXAMPLE", "123456789012");
        assert!(!format!("{k:?}").contains("secret\""));
        let keys = config(vec![k]).resolve(|_| None).unwrap().unwrap();
        assert_eq!(format!("{keys:?}"), "{\"AKIAIOSFODNN7EXAMPLE\"}");
    }

    fn principal(actions: Option<&[&str]>) -> Principal {
        Principal {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            actions: actions.map(|a| a.iter().map(|p| p.to_string()).collect()),
        }
    }

    #[test]
    fn actions_match_as_iam_matches_them() {
        let all = principal(None);
        assert!(all.allows("states:StartExecution"));
        let read = principal(Some(&[
            "states:Describe*",
            "states:List*",
            "lambda:Get?unction",
        ]));
        for allowed in [
            "states:DescribeExecution",
            "STATES:describestatemachine",
            "states:ListExecutions",
            "lambda:GetFunction",
        ] {
            assert!(read.allows(allowed), "{allowed}");
        }
        for refused in [
            "states:StartExecution",
            "states:Describ",
            "lambda:GetFunctionConfiguration",
            "lambda:InvokeFunction",
            "logs:DescribeLogGroups",
        ] {
            assert!(!read.allows(refused), "{refused}");
        }
        assert!(principal(Some(&["*"])).allows("logs:GetLogEvents"));
        assert!(principal(Some(&["states:*"])).allows("states:StopExecution"));
        assert!(!principal(Some(&["states:*"])).allows("lambda:InvokeFunction"));
        assert!(principal(Some(&["states:*Execution*"])).allows("states:ListExecutions"));
        let denied = read.denied("states:StartExecution");
        assert_eq!(denied.code(), "AccessDeniedException");
        assert!(denied.message().starts_with(
            "User: arn:aws:iam::123456789012:user/AKIAIOSFODNN7EXAMPLE is not authorized to perform: states:StartExecution"
        ));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"a*c", b"abbbc"));
        assert!(wildcard_match(b"a?c", b"abc"));
        assert!(wildcard_match(b"A?C", b"abc"));
        assert!(!wildcard_match(b"a?c", b"ac"));
        assert!(wildcard_match(b"*", b""));
        assert!(!wildcard_match(b"?", b""));
        assert!(!wildcard_match(b"", b"a"));
        assert!(wildcard_match(b"*x*y", b"axbxcy"));
        assert!(!wildcard_match(b"*x*y", b"axbxc"));
        // No blow-up on patterns that backtrack.
        let pattern = "*a".repeat(60);
        let text = "a".repeat(10_000) + "b";
        assert!(!wildcard_match(pattern.as_bytes(), text.as_bytes()));
    }
}
