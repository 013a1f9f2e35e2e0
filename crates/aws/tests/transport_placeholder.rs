//! With no credentials anywhere, a custom endpoint is signed with the placeholder pair and AWS's
//! own endpoints are refused. Its own test binary: it clears the process's AWS variables.

use baton_aws::config::AwsConfig;
use baton_aws::credentials::{CredentialSource, PLACEHOLDER_ACCESS_KEY_ID};
use baton_aws::endpoint::Endpoint;

fn endpoint(custom: bool) -> Endpoint {
    Endpoint {
        scheme: if custom { "http" } else { "https" }.into(),
        host: if custom {
            "127.0.0.1".into()
        } else {
            "sqs.eu-west-1.amazonaws.com".into()
        },
        port: custom.then_some(4566),
        base_path: String::new(),
        signing_region: "eu-west-1".into(),
        custom,
    }
}

#[test]
fn placeholder_keys_on_custom_endpoints_only() {
    // Before any thread starts: nothing for the default chain to find, and no instance
    // metadata service to wait for.
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            std::env::remove_var(name);
        }
    }
    let nowhere = std::env::temp_dir().join("baton-no-aws-config");
    std::env::set_var("AWS_CONFIG_FILE", &nowhere);
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &nowhere);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let source = CredentialSource::new(&AwsConfig {
            region: Some("eu-west-1".into()),
            ..AwsConfig::default()
        })
        .unwrap();
        let error = source.get().await.unwrap_err();
        assert!(
            error.starts_with("no AWS credentials: looked in "),
            "{error}"
        );

        let credentials = source.for_endpoint(&endpoint(true)).await.unwrap();
        assert_eq!(credentials.access_key_id, PLACEHOLDER_ACCESS_KEY_ID);
        assert!(credentials.session_token.is_none());

        let error = source.for_endpoint(&endpoint(false)).await.unwrap_err();
        assert!(error.starts_with("no AWS credentials"), "{error}");

        // A profile that is not there says so.
        let source = CredentialSource::new(&AwsConfig {
            profile: Some("baton-missing".into()),
            ..AwsConfig::default()
        })
        .unwrap();
        let error = source.get().await.unwrap_err();
        assert!(error.contains("profile baton-missing"), "{error}");
        let credentials = source.for_endpoint(&endpoint(true)).await.unwrap();
        assert_eq!(credentials.access_key_id, PLACEHOLDER_ACCESS_KEY_ID);
    });
}
