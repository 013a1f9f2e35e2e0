//! The caller's account and region, read from the SigV4 credential scope of `Authorization`.
//! Nothing here checks a signature.

use axum::http::{header, HeaderMap};

use crate::Config;

/// The account and region a request acts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub account_id: String,
    pub region: String,
}

/// The caller of a request with these headers: the account is the access key id when that is
/// 12 digits (as LocalStack does), the region is the credential scope's; whatever is missing,
/// malformed or unusable in an ARN comes from `config`.
pub(crate) fn caller(headers: &HeaderMap, config: &Config) -> Caller {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(Credential::parse);
    let account_id = credential
        .as_ref()
        .map(|c| c.access_key_id)
        .filter(|id| is_account_id(id))
        .unwrap_or(&config.account_id);
    let region = credential
        .as_ref()
        .and_then(|c| c.region)
        .filter(|region| is_region(region))
        .unwrap_or(&config.region);
    Caller {
        account_id: account_id.to_owned(),
        region: region.to_owned(),
    }
}

/// The parts of `Credential=<access key id>/<date>/<region>/<service>/aws4_request` that name
/// the caller.
struct Credential<'a> {
    access_key_id: &'a str,
    /// Absent from SigV4a scopes (`<access key id>/<date>/<service>/aws4_request`), whose
    /// regions travel in `X-Amz-Region-Set` instead.
    region: Option<&'a str>,
}

impl<'a> Credential<'a> {
    /// Reads `<algorithm> Credential=…, SignedHeaders=…, Signature=…`. Clients differ in the
    /// spaces after the commas, so the parameters are trimmed.
    fn parse(authorization: &'a str) -> Option<Self> {
        let (_algorithm, parameters) = authorization.trim().split_once(char::is_whitespace)?;
        let scope = parameters
            .split(',')
            .find_map(|parameter| parameter.trim().strip_prefix("Credential="))?;
        let parts: Vec<&str> = scope.split('/').collect();
        let access_key_id = parts.first().copied().filter(|id| !id.is_empty())?;
        let region = match parts.as_slice() {
            [_, _, region, _, _] => Some(*region),
            _ => None,
        };
        Some(Self {
            access_key_id,
            region,
        })
    }
}

/// An AWS account id: exactly 12 ASCII digits.
fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A region Baton can put in an ARN: what `baton_api::arn` accepts there (lower-case letters,
/// digits and hyphens).
pub(crate) fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller_for(authorization: &str) -> Caller {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            authorization.parse().expect("a valid header value"),
        );
        caller(&headers, &Config::default())
    }

    fn default_caller() -> Caller {
        let config = Config::default();
        Caller {
            account_id: config.account_id,
            region: config.region,
        }
    }

    #[test]
    fn reads_the_credential_scope() {
        let cases = [
            (
                "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-1/states/aws4_request, SignedHeaders=host, Signature=abc",
                ("111122223333", "eu-west-1"),
            ),
            // No spaces between the parameters, Credential not first.
            (
                "AWS4-HMAC-SHA256 SignedHeaders=host,Credential=111122223333/20240101/ap-south-2/states/aws4_request,Signature=abc",
                ("111122223333", "ap-south-2"),
            ),
            // An ordinary access key id: the default account, the scope's region.
            (
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-west-2/states/aws4_request, SignedHeaders=host, Signature=abc",
                ("123456789012", "us-west-2"),
            ),
            // SigV4a: no region in the scope.
            (
                "AWS4-ECDSA-P256-SHA256 Credential=111122223333/20240101/states/aws4_request, SignedHeaders=host, Signature=abc",
                ("111122223333", "us-east-1"),
            ),
            // 11 and 13 digits are not accounts.
            (
                "AWS4-HMAC-SHA256 Credential=11112222333/20240101/eu-west-1/states/aws4_request",
                ("123456789012", "eu-west-1"),
            ),
            (
                "AWS4-HMAC-SHA256 Credential=1111222233334/20240101/eu-west-1/states/aws4_request",
                ("123456789012", "eu-west-1"),
            ),
            // A region that would break an ARN is ignored.
            (
                "AWS4-HMAC-SHA256 Credential=111122223333/20240101/EU:WEST/states/aws4_request",
                ("111122223333", "us-east-1"),
            ),
        ];
        for (authorization, (account_id, region)) in cases {
            assert_eq!(
                caller_for(authorization),
                Caller {
                    account_id: account_id.into(),
                    region: region.into()
                },
                "{authorization}"
            );
        }
    }

    #[test]
    fn anything_else_is_the_default_caller() {
        for authorization in [
            "",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=",
            "AWS4-HMAC-SHA256 Credential=/20240101/eu-west-1/states/aws4_request",
            "Bearer 111122223333",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
        ] {
            assert_eq!(
                caller_for(authorization),
                default_caller(),
                "{authorization:?}"
            );
        }
        assert_eq!(
            caller(&HeaderMap::new(), &Config::default()),
            default_caller()
        );
    }
}
