//! Which `Host` headers a listener answers: the defence against DNS rebinding.
//!
//! A web page on `http://attacker.example` whose name is rebound to `127.0.0.1` becomes
//! same-origin with a server on this machine, and the browser sends `Host: attacker.example`.
//! Refusing every host name the operator did not choose closes that door: loopback addresses,
//! `localhost`, the address the listener is bound to, and the names given with
//! `--allow-host`, each with or without a port and in its `sync-` form (AWS's SDKs prefix
//! `sync-` to the endpoint's host for StartSyncExecution and TestState).

use std::net::{IpAddr, Ipv6Addr};

/// The host names a listener accepts besides loopback, `localhost` and its own address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPolicy {
    /// Names (or addresses) accepted in addition, compared without case and without a
    /// trailing dot.
    pub names: Vec<String>,
    /// Accept any `Host`: the check is off. Only ever set by an explicit option.
    pub any: bool,
}

impl HostPolicy {
    /// Only loopback, `localhost`, the bound address and `names`.
    pub fn only(names: impl IntoIterator<Item = String>) -> Self {
        Self {
            names: names.into_iter().map(|n| normalise(&n)).collect(),
            any: false,
        }
    }

    /// Whether a request whose `Host` header is `host` (absent: `None`) may be answered by a
    /// listener bound to `bound`.
    ///
    /// A request with no `Host` at all is refused: HTTP/1.1 requires the header (RFC 9112
    /// §3.2), and a missing one is no evidence of a local caller.
    pub fn allows(&self, host: Option<&str>, bound: IpAddr) -> bool {
        if self.any {
            return true;
        }
        let Some(host) = host.and_then(without_port) else {
            return false;
        };
        let host = normalise(host);
        self.allows_name(&host, bound)
            || host
                .strip_prefix("sync-")
                .is_some_and(|rest| self.allows_name(rest, bound))
    }

    fn allows_name(&self, host: &str, bound: IpAddr) -> bool {
        if host == "localhost" || self.names.iter().any(|n| n == host) {
            return true;
        }
        match parse_ip(host) {
            Some(ip) => ip.is_loopback() || (!bound.is_unspecified() && ip == bound),
            None => false,
        }
    }
}

/// The host part of a `Host` header value: `name`, `name:port`, `[v6]`, `[v6]:port`. `None`
/// when the value is not of that form (an empty name, a port that is not a number).
fn without_port(value: &str) -> Option<&str> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return match after {
            "" => Some(inside),
            port => port_ok(port.strip_prefix(':')?).then_some(inside),
        };
    }
    let host = match value.rsplit_once(':') {
        Some((host, port)) if port_ok(port) => host,
        Some(_) => return None,
        None => value,
    };
    (!host.is_empty()).then_some(host)
}

fn port_ok(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

/// Lower case, without the trailing dot of a fully qualified name.
fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// An address as it appears inside a host: IPv4 dotted, or IPv6 (brackets already removed).
fn parse_ip(host: &str) -> Option<IpAddr> {
    host.parse::<IpAddr>()
        .ok()
        .or_else(|| host.parse::<Ipv6Addr>().ok().map(IpAddr::V6))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn local_names_in_every_form() {
        let policy = HostPolicy::default();
        for host in [
            "localhost",
            "LOCALHOST:8083",
            "localhost.",
            "sync-localhost:8083",
            "127.0.0.1",
            "127.0.0.1:8083",
            "127.1.2.3:80",
            "sync-127.0.0.1:8083",
            "[::1]",
            "[::1]:8083",
        ] {
            assert!(policy.allows(Some(host), LOOPBACK), "{host}");
        }
    }

    #[test]
    fn other_names_are_refused() {
        let policy = HostPolicy::default();
        for host in [
            "attacker.example",
            "attacker.example:8083",
            "localhost.attacker.example",
            "sync-attacker.example",
            "10.0.0.1:8083",
            "",
            ":8083",
            "localhost:http",
            "[::1",
            "[::1]x",
        ] {
            assert!(!policy.allows(Some(host), LOOPBACK), "{host}");
        }
        assert!(!policy.allows(None, LOOPBACK));
    }

    #[test]
    fn named_hosts_and_the_bound_address() {
        let policy = HostPolicy::only(["Baton.Internal".to_string()]);
        let bound: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(policy.allows(Some("baton.internal:8083"), bound));
        assert!(policy.allows(Some("sync-baton.internal"), bound));
        assert!(policy.allows(Some("10.1.2.3:8083"), bound));
        assert!(!policy.allows(Some("10.1.2.4:8083"), bound));
        // Bound to every address: no address is "the" bound one; only named hosts count.
        let any_addr: IpAddr = "0.0.0.0".parse().unwrap();
        assert!(!policy.allows(Some("0.0.0.0"), any_addr));
        assert!(!policy.allows(Some("10.1.2.3"), any_addr));
        assert!(policy.allows(Some("baton.internal"), any_addr));
    }

    #[test]
    fn any_turns_the_check_off() {
        let policy = HostPolicy {
            names: vec![],
            any: true,
        };
        assert!(policy.allows(Some("attacker.example"), LOOPBACK));
        assert!(policy.allows(None, LOOPBACK));
    }
}
