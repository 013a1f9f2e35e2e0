//! AWS's service models for TestState's tests, from an installed botocore. Without them a test
//! skips with a reason, or fails under `BATON_CI_STRICT=1`.

#![allow(dead_code)] // each test binary uses part of it

use baton_engine::teststate::ServiceModels;

/// The models, or `None` after printing why they are missing.
pub fn models() -> Option<ServiceModels> {
    let Some(models) = baton_runtime::botocore::installed() else {
        let msg = "botocore's data not found (pip install botocore, or set BATON_BOTOCORE_DATA); skipping";
        assert!(
            std::env::var("BATON_CI_STRICT").as_deref() != Ok("1"),
            "{msg} (BATON_CI_STRICT=1 forbids skips)"
        );
        eprintln!("SKIP: {msg}");
        return None;
    };
    Some(models)
}
