//! Lambda's API on Baton's port (`baton_server::lambda`) over the configured functions:
//! `Invoke` runs a function as a Task state would ([`Functions::invoke_raw`]), `GetFunction`
//! and `ListFunctions` describe them. Functions are the operator's, the same in every account
//! and region; their ARNs are written in the caller's.

use async_trait::async_trait;
use baton_server::lambda::{FunctionInfo, Invocation, LambdaCaller, LambdaError, LambdaFunctions};

use crate::functions::{CallContext, FunctionRef};
use crate::Resources;

fn info(f: crate::functions::FunctionInfo) -> FunctionInfo {
    FunctionInfo {
        name: f.name,
        runtime: f.runtime,
        handler: f.handler,
        timeout_seconds: f.timeout_seconds,
        memory_mb: f.memory_mb,
        environment: f.environment.into_iter().collect(),
    }
}

/// A failure of the service (not of the function) as Lambda's API answers it. The integration
/// names it `Lambda.<Code>` with the AWS SDK's cause
/// (`<message> (Service: AWSLambda; Status Code: <status>; Error Code: <Code>; …)`), so the
/// code, the status and the message are read back from those.
fn refusal((error, cause): crate::Failure) -> LambdaError {
    let code = error.strip_prefix("Lambda.").unwrap_or(&error);
    let status = cause
        .split("Status Code: ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|n| n.trim().parse::<u16>().ok())
        .unwrap_or(500);
    let message = cause
        .split(" (Service: AWSLambda;")
        .next()
        .unwrap_or(&cause)
        .to_string();
    LambdaError::new(status, code, message)
}

#[async_trait]
impl LambdaFunctions for Resources {
    fn function(&self, _caller: &LambdaCaller, name: &str) -> Option<FunctionInfo> {
        self.function_set()
            .list()
            .into_iter()
            .find(|f| f.name == name)
            .map(info)
    }

    fn functions(&self, _caller: &LambdaCaller) -> Vec<FunctionInfo> {
        self.function_set().list().into_iter().map(info).collect()
    }

    async fn invoke(
        &self,
        caller: &LambdaCaller,
        name: &str,
        qualifier: Option<&str>,
        payload: Vec<u8>,
        log_tail: bool,
    ) -> Result<Invocation, LambdaError> {
        let cx: CallContext = self.call_context(&caller.region, &caller.account);
        let f = FunctionRef {
            name: name.to_string(),
            qualifier: qualifier.map(str::to_string),
            region: Some(caller.region.clone()),
            account: Some(caller.account.clone()),
        };
        self.function_set()
            .invoke_raw(&cx, &f, &payload, log_tail)
            .await
            .map_err(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_services_failure_is_read_back_into_lambdas_error() {
        let e = refusal((
            "Lambda.ResourceNotFoundException".into(),
            "Function not found: arn:aws:lambda:us-east-1:1:function:f:$LATEST (Service: \
             AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: x; \
             Proxy: null)"
                .into(),
        ));
        assert_eq!(e.status, 404);
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(
            e.message,
            "Function not found: arn:aws:lambda:us-east-1:1:function:f:$LATEST"
        );
        let e = refusal(("Lambda.ServiceException".into(), "down".into()));
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (500, "ServiceException", "down")
        );
    }
}
