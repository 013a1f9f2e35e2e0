//! Assuming a role through a local STS (moto's server), then calling STS with the role's
//! credentials. Skipped, saying why, when `moto_server` is not installed; under
//! `BATON_CI_STRICT=1` a skip fails.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use baton_aws::config::AwsConfig;
use baton_aws::credentials::CredentialSource;
use baton_aws::transport::{RetryPolicy, Transport};
use baton_aws::HttpRequest;
use bytes::Bytes;

fn moto_server() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
}

fn skip(reason: &str) {
    if std::env::var("BATON_CI_STRICT").is_ok_and(|v| v == "1") {
        panic!("BATON_CI_STRICT=1 and the moto test cannot run: {reason}");
    }
    eprintln!("skipped: {reason}");
}

#[tokio::test]
async fn a_role_is_assumed_through_a_local_sts() {
    let Some(moto) = moto_server() else {
        skip("moto_server is not on PATH (pip install \"moto[server]\")");
        return;
    };
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("moto_server starts");
    let started = std::time::Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto_server did not listen on {port} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let url = format!("http://127.0.0.1:{port}");
    let config = AwsConfig {
        region: Some("us-east-1".into()),
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some("not-a-real-secret".into()),
        endpoints: [("sts".to_owned(), url.clone())].into(),
        assume_role: true,
        ..AwsConfig::default()
    };
    let source = CredentialSource::with_env(&config, Arc::new(|_: &str| None)).unwrap();
    let role = "arn:aws:iam::123456789012:role/baton-test";
    let assumed = source.assume(role, "baton-session", "us-east-1").await;
    let assumed = match assumed {
        Ok(c) => c,
        Err(e) => {
            let _ = child.kill().await;
            panic!("{e}");
        }
    };
    assert_ne!(assumed.access_key_id, "AKIDEXAMPLE");
    assert!(assumed.session_token.is_some());
    assert!(assumed.expiry.is_some_and(|t| t > SystemTime::now()));
    assert!(!format!("{assumed:?}").contains(assumed.secret_access_key.expose()));
    // Kept until shortly before it expires.
    let again = source
        .assume(role, "baton-session", "us-east-1")
        .await
        .unwrap();
    assert_eq!(again.access_key_id, assumed.access_key_id);

    // The role's credentials sign a call moto attributes to the assumed role.
    let sts = source.sts_endpoint("us-east-1").unwrap();
    assert_eq!(sts.base_url(), url);
    let transport = Transport::new(&config).unwrap();
    let request = HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: Bytes::from_static(b"Action=GetCallerIdentity&Version=2011-06-15"),
        host_prefix: None,
    };
    let attempted = transport
        .send_with_retries(
            &RetryPolicy::STANDARD,
            &sts,
            "sts",
            &assumed,
            request,
            &|_| None,
        )
        .await;
    let answer = attempted.result.unwrap();
    let body = String::from_utf8_lossy(&answer.body).into_owned();
    let _ = child.kill().await;
    assert_eq!(answer.status, 200, "{body}");
    assert_eq!(attempted.attempts, 1);
    assert!(
        body.contains("assumed-role/baton-test/baton-session"),
        "{body}"
    );
}
