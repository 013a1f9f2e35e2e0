//! Requests refused at the edge, before any handler sees them, and how each protocol words the
//! refusal: AWS JSON 1.0's `{"__type", "message"}` for the Step Functions API, S3's `<Error>`
//! XML for the S3 endpoint.

use bytes::Bytes;
use hyper::StatusCode;

/// The namespace AWS's JSON front end ("Coral") gives the errors it raises before an operation
/// runs (the same as `baton_api::error::PROTOCOL_NAMESPACE`).
const CORAL: &str = "com.amazon.coral.service";

/// Why a request was refused at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The `Host` header names a host this listener does not answer for (DNS rebinding).
    Host(Option<String>),
    /// The request is not HTTP/1.1 the server reads: hyper refused its head with `status`
    /// (400, 414, 431 or 505); `detail` says what was wrong.
    Malformed { status: StatusCode, detail: String },
}

/// The wire format of a listener's refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON 1.0 (`application/x-amz-json-1.0`, `{"__type": …, "message": …}`).
    AwsJson,
    /// S3's REST protocol (`application/xml`, `<Error><Code>…</Code><Message>…</Message>`).
    S3Xml,
}

/// A refusal as bytes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    /// AWS JSON 1.0's `x-amzn-ErrorType` header: the code of `__type` again.
    pub error_type: Option<&'static str>,
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Host(_) => StatusCode::FORBIDDEN,
            Self::Malformed { status, .. } => *status,
        }
    }

    /// The error code, without namespace.
    fn code(&self) -> &'static str {
        match self {
            Self::Host(_) => "AccessDeniedException",
            Self::Malformed { status, .. } => match status.as_u16() {
                414 => "RequestUriTooLongException",
                431 => "RequestHeaderFieldsTooLargeException",
                505 => "HttpVersionNotSupportedException",
                _ => "BadRequestException",
            },
        }
    }

    fn s3_code(&self) -> &'static str {
        match self {
            Self::Host(_) => "AccessDenied",
            Self::Malformed { status, .. } => match status.as_u16() {
                414 | 431 => "RequestHeaderSectionTooLarge",
                _ => "BadRequest",
            },
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Host(Some(host)) => format!(
                "Host '{host}' is not served here: only loopback addresses, localhost, the \
                 bound address and the hosts given with --allow-host are accepted"
            ),
            Self::Host(None) => "The request has no Host header".to_string(),
            Self::Malformed { detail, .. } => detail.clone(),
        }
    }

    pub fn render(&self, protocol: Protocol) -> Rendered {
        let message = self.message();
        match protocol {
            Protocol::AwsJson => Rendered {
                status: self.status(),
                content_type: "application/x-amz-json-1.0",
                body: Bytes::from(format!(
                    "{{\"__type\":\"{CORAL}#{}\",\"message\":{}}}",
                    self.code(),
                    json_string(&message)
                )),
                error_type: Some(self.code()),
            },
            Protocol::S3Xml => Rendered {
                status: self.status(),
                content_type: "application/xml",
                body: Bytes::from(format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
                    self.s3_code(),
                    xml_text(&message)
                )),
                error_type: None,
            },
        }
    }

    /// The whole HTTP/1.1 response, closing the connection (after a malformed head nothing
    /// that follows on the connection can be framed).
    pub fn response_bytes(&self, protocol: Protocol) -> Bytes {
        let rendered = self.render(protocol);
        let reason = rendered.status.canonical_reason().unwrap_or("Error");
        let error_type = rendered
            .error_type
            .map(|code| format!("x-amzn-errortype: {code}\r\n"))
            .unwrap_or_default();
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\n{error_type}content-length: {}\r\nconnection: close\r\n\r\n",
            rendered.status.as_u16(),
            rendered.content_type,
            rendered.body.len()
        )
        .into_bytes();
        out.extend_from_slice(&rendered.body);
        Bytes::from(out)
    }
}

/// What was wrong with a request head hyper refused with `status`, read again from the bytes
/// it was given (`head`: what arrived since the last request, possibly cut short).
pub fn diagnose(status: StatusCode, head: &[u8], limits: &crate::Limits) -> String {
    match status.as_u16() {
        431 => {
            return format!(
                "The request's headers are too large: at most {} headers and {} bytes of request \
                 head are read",
                limits.max_headers, limits.max_header_bytes
            )
        }
        414 => return "The request URI is too long".to_string(),
        505 => return "Only HTTP/1.0 and HTTP/1.1 are served".to_string(),
        _ => {}
    }
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers.max(1)];
    let mut request = httparse::Request::new(&mut headers);
    let detail = match request.parse(head) {
        Err(httparse::Error::HeaderName) => "a header name has a character not allowed in it",
        Err(httparse::Error::HeaderValue) => "a header value has a control character in it",
        Err(httparse::Error::NewLine) => "a line of the request head does not end in CRLF",
        Err(httparse::Error::Token) | Err(httparse::Error::Status) => {
            "the request line is not METHOD TARGET VERSION"
        }
        Err(httparse::Error::Version) => "the HTTP version is not HTTP/1.x",
        Err(httparse::Error::TooManyHeaders) => "the request has too many headers",
        Ok(_) => framing_problem(request.headers).unwrap_or("the request head could not be read"),
    };
    format!("Malformed HTTP request: {detail}")
}

/// Content-Length and Transfer-Encoding problems hyper refuses once the head has parsed.
fn framing_problem(headers: &[httparse::Header<'_>]) -> Option<&'static str> {
    let mut length: Option<&[u8]> = None;
    for header in headers {
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = header.value.trim_ascii();
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                return Some("Content-Length is not a number");
            }
            if length.is_some_and(|seen| seen != value) {
                return Some("Content-Length is given twice with different values");
            }
            length = Some(value);
        }
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Some("Transfer-Encoding is not one the server reads");
        }
    }
    length
        .is_some_and(|v| v.len() > 19)
        .then_some("Content-Length is too large")
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_json_body() {
        let refusal = Refusal::Host(Some("evil.example\"".into()));
        let rendered = refusal.render(Protocol::AwsJson);
        assert_eq!(rendered.status, StatusCode::FORBIDDEN);
        assert_eq!(rendered.error_type, Some("AccessDeniedException"));
        let wire = refusal.response_bytes(Protocol::AwsJson);
        let head = std::str::from_utf8(&wire).unwrap();
        assert!(
            head.contains("\r\nx-amzn-errortype: AccessDeniedException\r\n"),
            "{head}"
        );
        assert_eq!(
            rendered.body,
            "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"message\":\"Host 'evil.example\\\"' is not served here: only loopback addresses, localhost, the bound address and the hosts given with --allow-host are accepted\"}"
        );
    }

    #[test]
    fn s3_xml_body() {
        let refusal = Refusal::Malformed {
            status: StatusCode::BAD_REQUEST,
            detail: "a <b>".into(),
        };
        let rendered = refusal.render(Protocol::S3Xml);
        assert!(std::str::from_utf8(&rendered.body)
            .unwrap()
            .ends_with("<Error><Code>BadRequest</Code><Message>a &lt;b&gt;</Message></Error>"));
    }

    #[test]
    fn diagnoses() {
        let limits = crate::Limits::default();
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            diagnose(bad, b"GET / HTTP/1.1\r\nx: a\x01b\r\n\r\n", &limits),
            "Malformed HTTP request: a header value has a control character in it"
        );
        assert_eq!(
            diagnose(
                bad,
                b"GET / HTTP/1.1\r\ncontent-length: 1x\r\n\r\n",
                &limits
            ),
            "Malformed HTTP request: Content-Length is not a number"
        );
        assert_eq!(
            diagnose(
                bad,
                b"GET / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
                &limits
            ),
            "Malformed HTTP request: Content-Length is given twice with different values"
        );
        assert!(
            diagnose(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, b"", &limits)
                .starts_with("The request's headers are too large")
        );
    }
}
