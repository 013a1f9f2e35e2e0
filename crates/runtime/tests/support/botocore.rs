//! AWS's service models for TestState's mock validation, from an installed botocore
//! (`baton_runtime::botocore`; Baton does not ship them). Without them a test skips with a
//! reason, or fails under `BATON_CI_STRICT=1`.

use baton_engine::teststate::ServiceModels;

/// The models, or `None` after printing why they are missing.
pub fn models() -> Option<ServiceModels> {
    let models = baton_runtime::botocore::installed().filter(|m| !m.services().is_empty());
    if models.is_none() {
        let msg = "botocore's data not found (pip install botocore, or set BATON_BOTOCORE_DATA); skipping";
        assert!(!super::strict(), "{msg} (BATON_CI_STRICT=1 forbids skips)");
        eprintln!("SKIP: {msg}");
    }
    models
}
