//! How Step Functions names what a service model defines. Step Functions' AWS SDK integrations
//! are built on the AWS SDK for Java 2.x, so services, members and errors carry that SDK's
//! names ("Learning to use AWS service SDK integrations in Step Functions", AWS Step Functions
//! Developer Guide).

use std::borrow::Cow;

use crate::registry::Service;

/// A structure member's name in a Task's `Parameters` and in its result: the model's name with
/// its first letter upper-case ("Parameters in Step Functions are expressed in PascalCase, even
/// if the native service API is in camelCase"), and `Equals` as `EqualsValue` ("API fields for
/// equals will be referred to in your state machines as: EqualsValue"; both from the guide
/// above).
pub fn member_name(model_name: &str) -> Cow<'_, str> {
    if model_name.eq_ignore_ascii_case("equals") {
        return Cow::Borrowed("EqualsValue");
    }
    match model_name.chars().next() {
        Some(first) if first.is_ascii_lowercase() => {
            let mut name = String::with_capacity(model_name.len());
            name.push(first.to_ascii_uppercase());
            name.push_str(&model_name[1..]);
            Cow::Owned(name)
        }
        _ => Cow::Borrowed(model_name),
    }
}

/// The AWS SDK for Java 2.x's name of a service, from its model's `metadata.serviceId`
/// (`DynamoDB` → `DynamoDb`, `API Gateway` → `ApiGateway`): what Step Functions names errors
/// after (`DynamoDb.ResourceNotFoundException`).
///
/// The rule is the SDK's code generator's, `DefaultNamingStrategy.getServiceName` in
/// aws-sdk-java-v2's `codegen` (`software.amazon.awssdk.codegen.naming`): the serviceId in
/// Pascal case (`CodegenNamingUtils.pascalCase`: its words, see [`words`], each lower-cased then
/// capitalised), then a leading `Amazon` or `Aws` and a trailing `Service` removed.
pub fn java_service_name(service_id: &str) -> String {
    let mut name = pascal_case(service_id);
    for prefix in ["Amazon", "Aws"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            name = rest.to_string();
        }
    }
    if let Some(rest) = name.strip_suffix("Service") {
        name = rest.to_string();
    }
    name
}

/// The name in `arn:aws:states:::aws-sdk:<name>:<action>`: the Java 2.x name lower-cased
/// (`dynamodb`, `sfn`, `eventbridge`, `cloudwatchlogs`), as the SDK names the service's package
/// (`DefaultNamingStrategy.getClientPackageName`).
pub fn sfn_service_name(service_id: &str) -> String {
    java_service_name(service_id).to_ascii_lowercase()
}

/// A Step Functions action (`putItem`, `describeDBInstances`) for an operation of the model
/// (`PutItem`, `DescribeDBInstances`): the Java 2.x client's method name,
/// `OperationModel.getMethodName`, which is `Utils.unCapitalize` of the operation's name — the
/// first letter lower-cased, and so are the upper-case letters after it, up to the last one
/// before a lower-case letter (`GetSMSAttributes` → `getSMSAttributes`, `SMSFoo` → `smsFoo`).
pub fn action_name(operation: &str) -> String {
    let chars: Vec<char> = operation.chars().collect();
    let mut out = String::with_capacity(operation.len());
    let mut i = 0;
    while i < chars.len() {
        out.push(chars[i].to_ascii_lowercase());
        i += 1;
        let more_upper = i < chars.len() && chars[i].is_ascii_uppercase();
        let before_lower = i + 1 < chars.len() && chars[i + 1].is_ascii_lowercase();
        if !more_upper || before_lower {
            break;
        }
    }
    out.extend(&chars[i..]);
    out
}

/// The operation a Step Functions action names, for a model's operation names: the operation
/// whose [`action_name`] is `action` (`putItem` → `PutItem`). Without the model, the action with
/// its first letter upper-case is the likely name (`putItem` → `PutItem`); that guess is wrong
/// for operations that start with an acronym (`smsFoo` for `SMSFoo`), which only the model's
/// names resolve.
pub fn operation_name(action: &str) -> String {
    let mut chars = action.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The Java 2.x exception class of an error shape (`ResourceNotFoundException`,
/// `BucketAlreadyExists` → `BucketAlreadyExistsException`, `KMSAccessDeniedException` →
/// `KmsAccessDeniedException`): `DefaultNamingStrategy.getExceptionName` — the shape's name in
/// Pascal case with `Exception` appended when it does not end with it, a trailing `Fault` taking
/// its place.
pub fn exception_class(shape_name: &str) -> String {
    if let Some(base) = shape_name.strip_suffix("Fault") {
        return pascal_case(base) + "Exception";
    }
    if shape_name.ends_with("Exception") {
        return pascal_case(shape_name);
    }
    pascal_case(shape_name) + "Exception"
}

/// The exception class Step Functions names an error `code` of `service` after: the class of
/// the service's error shape with that code (the shape's `error.code`, else its name, as
/// aws-sdk-java-v2's `AddExceptionShapes.getErrorCode` reads it; every exception shape of the
/// service is registered with every operation), else the service's base exception,
/// `<JavaName>Exception` (an unmodelled DynamoDB `ValidationException` is
/// `DynamoDb.DynamoDbException`, S3's unmodelled codes `S3.S3Exception`).
pub fn exception_name(service: &Service, code: &str) -> String {
    let modelled = service
        .model
        .shapes
        .iter()
        .filter(|(_, shape)| shape.exception)
        .filter(|(name, shape)| {
            let wire = shape
                .error
                .as_ref()
                .and_then(|e| e.code.as_deref())
                .filter(|c| !c.trim().is_empty())
                .unwrap_or(name.as_str());
            wire == code
        })
        .map(|(name, _)| name.as_str())
        .min();
    match modelled {
        Some(shape) => exception_class(shape),
        None => format!("{}Exception", service.java_name),
    }
}

/// The error a Task's result names: `<JavaName>.<Exception>` (`DynamoDb.ResourceNotFoundException`,
/// `Sfn.InvalidTokenException`, `S3.NoSuchKeyException`).
pub fn error_name(service: &Service, code: &str) -> String {
    format!("{}.{}", service.java_name, exception_name(service, code))
}

/// `CodegenNamingUtils.pascalCase`: each of [`words`] lower-cased with its first letter
/// upper-cased, joined.
fn pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in words(s) {
        let lower = word.to_ascii_lowercase();
        let mut chars = lower.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// `CodegenNamingUtils.splitOnWordBoundaries`, step by step as the SDK's regular expressions do
/// it:
/// 1. every run of characters other than ASCII letters and digits becomes one space;
/// 2. a `v` and the digits after it, following two or more characters that are not lower-case
///    letters, become a word of their own (`TESTv4` → `TEST v4`); then the same for `V` after
///    two or more that are not upper-case letters (`TestV4` → `Test V4`);
/// 3. a space between a lower-case letter and an upper-case one followed by a letter or digit
///    (`AcmSuccess` → `Acm Success`);
/// 4. a space before the last capital of a run of capitals followed by a lower-case letter
///    (`ACMSuccess` → `ACM Success`);
/// 5. a space between a digit and a letter after it (`s3ec2` → `s3 ec2`);
/// 6. split on spaces, ignoring empty words.
fn words(s: &str) -> Vec<String> {
    // 1.
    let mut text: Vec<char> = Vec::with_capacity(s.len());
    let mut in_gap = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            text.push(c);
            in_gap = false;
        } else if !in_gap {
            text.push(' ');
            in_gap = true;
        }
    }
    // 2.
    let text = version_words(&text, 'v', |c| !c.is_ascii_lowercase());
    let text = version_words(&text, 'V', |c| !c.is_ascii_uppercase());
    // 3.
    let mut spaced: Vec<char> = Vec::with_capacity(text.len() + 8);
    for (i, &c) in text.iter().enumerate() {
        if i > 0
            && text[i - 1].is_ascii_lowercase()
            && c.is_ascii_uppercase()
            && text.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric())
        {
            spaced.push(' ');
        }
        spaced.push(c);
    }
    // 4. Leftmost matches of `([A-Z]+)([A-Z][a-z])`, each ending after its lower-case letter.
    let text = spaced;
    let mut spaced: Vec<char> = Vec::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_uppercase() {
            let start = i;
            while i < text.len() && text[i].is_ascii_uppercase() {
                i += 1;
            }
            let run = &text[start..i];
            if run.len() >= 2 && text.get(i).is_some_and(|c| c.is_ascii_lowercase()) {
                spaced.extend(&run[..run.len() - 1]);
                spaced.push(' ');
                spaced.push(run[run.len() - 1]);
                spaced.push(text[i]);
                i += 1;
            } else {
                spaced.extend(run);
            }
        } else {
            spaced.push(text[i]);
            i += 1;
        }
    }
    // 5.
    let text = spaced;
    let mut spaced: Vec<char> = Vec::with_capacity(text.len() + 8);
    for (i, &c) in text.iter().enumerate() {
        if i > 0 && text[i - 1].is_ascii_digit() && c.is_ascii_alphabetic() {
            spaced.push(' ');
        }
        spaced.push(c);
    }
    // 6.
    spaced
        .into_iter()
        .collect::<String>()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Step 2 of [`words`]: the leftmost matches of `([^x]{2,})<v>([0-9]+)` (where `x` is what
/// `before` refuses) replaced by `$1 <v>$2 `.
fn version_words(text: &[char], v: char, before: impl Fn(char) -> bool) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len() + 4);
    let mut i = 0;
    while i < text.len() {
        if !before(text[i]) {
            out.push(text[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && before(text[i]) {
            i += 1;
        }
        out.extend(&text[start..i]);
        let digits = text
            .get(i + 1..)
            .map(|rest| rest.iter().take_while(|c| c.is_ascii_digit()).count())
            .unwrap_or(0);
        if i - start >= 2 && text.get(i) == Some(&v) && digits > 0 {
            out.push(' ');
            out.push(v);
            out.extend(&text[i + 1..i + 1 + digits]);
            out.push(' ');
            i += 1 + digits;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ServiceModel;

    #[test]
    fn members_are_pascal_case_and_equals_is_renamed() {
        assert_eq!(member_name("TableName"), "TableName");
        assert_eq!(member_name("restApiId"), "RestApiId");
        assert_eq!(member_name("equals"), "EqualsValue");
        assert_eq!(member_name("Equals"), "EqualsValue");
        assert_eq!(member_name(""), "");
    }

    // The examples' Java 2.x names are the SDK's client classes (`DynamoDbClient`, `SfnClient`,
    // `ApiGatewayClient`, `CloudWatchLogsClient`, `AcmPcaClient`, `BedrockRuntimeClient`,
    // `SecretsManagerClient`, `Ec2Client`, `SesV2Client`, `ElasticLoadBalancingV2Client`,
    // `ApiGatewayV2Client`, `Wafv2Client`, `Iot1ClickDevicesClient`, `Route53Client`); AWS's
    // recorded errors `DynamoDb.ResourceNotFoundException`, `Sfn.InvalidTokenException` and
    // `S3.NoSuchKeyException` confirm three.
    #[test]
    fn service_names_are_the_java_sdks() {
        for (service_id, java) in [
            ("DynamoDB", "DynamoDb"),
            ("SFN", "Sfn"),
            ("SQS", "Sqs"),
            ("SNS", "Sns"),
            ("EventBridge", "EventBridge"),
            ("API Gateway", "ApiGateway"),
            ("CloudWatch Logs", "CloudWatchLogs"),
            ("ACM PCA", "AcmPca"),
            ("Bedrock Runtime", "BedrockRuntime"),
            ("S3", "S3"),
            ("EC2", "Ec2"),
            ("Lambda", "Lambda"),
            ("Secrets Manager", "SecretsManager"),
            ("STS", "Sts"),
            ("SESv2", "SesV2"),
            ("Elastic Load Balancing v2", "ElasticLoadBalancingV2"),
            ("ApiGatewayV2", "ApiGatewayV2"),
            ("WAFV2", "Wafv2"),
            ("IoT 1Click Devices Service", "Iot1ClickDevices"),
            ("Route 53", "Route53"),
            ("EC2 Instance Connect", "Ec2InstanceConnect"),
            ("SageMaker", "SageMaker"),
        ] {
            assert_eq!(java_service_name(service_id), java, "{service_id}");
        }
        assert_eq!(sfn_service_name("CloudWatch Logs"), "cloudwatchlogs");
        assert_eq!(sfn_service_name("SFN"), "sfn");
        assert_eq!(sfn_service_name("EventBridge"), "eventbridge");
    }

    // `CodegenNamingUtils.splitOnWordBoundaries`'s own examples, in its comments.
    #[test]
    fn words_split_as_the_java_sdk_splits_them() {
        assert_eq!(words("acm-success"), ["acm", "success"]);
        assert_eq!(words("TESTv4"), ["TEST", "v4"]);
        assert_eq!(words("TestV4"), ["Test", "V4"]);
        assert_eq!(words("AcmSuccess"), ["Acm", "Success"]);
        assert_eq!(words("ACMSuccess"), ["ACM", "Success"]);
        assert_eq!(words("s3ec2"), ["s3", "ec2"]);
        assert_eq!(words(" Foo  Bar "), ["Foo", "Bar"]);
        assert!(words("").is_empty());
    }

    // `OperationModel.getMethodName` = `Utils.unCapitalize(operationName)`; Step Functions'
    // actions are those methods (`arn:aws:states:::aws-sdk:dynamodb:putItem`,
    // `arn:aws:states:::aws-sdk:rds:describeDBInstances`). No botocore operation starts with
    // two capitals; `unCapitalize` would lower-case the whole leading acronym but its last letter
    // when a lower-case letter follows.
    #[test]
    fn actions_are_the_java_sdks_method_names() {
        assert_eq!(action_name("PutItem"), "putItem");
        assert_eq!(action_name("DescribeDBInstances"), "describeDBInstances");
        assert_eq!(action_name("GetSMSAttributes"), "getSMSAttributes");
        assert_eq!(action_name("SMSFoo"), "smsFoo");
        assert_eq!(action_name("ABC"), "abc");
        assert_eq!(action_name("X"), "x");
        assert_eq!(action_name(""), "");
        assert_eq!(operation_name("putItem"), "PutItem");
        assert_eq!(operation_name("describeDBInstances"), "DescribeDBInstances");
        assert_eq!(operation_name(""), "");
    }

    // `DefaultNamingStrategy.getExceptionName`; the Java 2.x classes `KmsAccessDeniedException`
    // and `Ec2ThrottledException` (Lambda), `QueueDoesNotExistException` (SQS),
    // `BucketAlreadyExistsException` (S3, also in the Step Functions guide's error handling).
    #[test]
    fn exception_classes_are_the_java_sdks() {
        assert_eq!(
            exception_class("ResourceNotFoundException"),
            "ResourceNotFoundException"
        );
        assert_eq!(
            exception_class("BucketAlreadyExists"),
            "BucketAlreadyExistsException"
        );
        assert_eq!(
            exception_class("KMSAccessDeniedException"),
            "KmsAccessDeniedException"
        );
        assert_eq!(
            exception_class("EC2ThrottledException"),
            "Ec2ThrottledException"
        );
        assert_eq!(
            exception_class("QueueDoesNotExist"),
            "QueueDoesNotExistException"
        );
        assert_eq!(exception_class("InternalFault"), "InternalException");
    }

    fn service(json: &str) -> Service {
        Service::new(ServiceModel::from_json(json).unwrap(), "test")
    }

    // Recorded from AWS: `DynamoDb.ResourceNotFoundException` (modelled),
    // `DynamoDb.DynamoDbException` (an unmodelled `ValidationException`), `S3.NoSuchKeyException`,
    // `S3.S3Exception`.
    #[test]
    fn errors_are_named_after_the_modelled_shape_or_the_service() {
        let dynamodb = service(
            r#"{"metadata":{"protocol":"json","serviceId":"DynamoDB","endpointPrefix":"dynamodb",
                "apiVersion":"2012-08-10"},
                "shapes":{"ResourceNotFoundException":{"type":"structure","exception":true},
                          "String":{"type":"string"}}}"#,
        );
        assert_eq!(
            error_name(&dynamodb, "ResourceNotFoundException"),
            "DynamoDb.ResourceNotFoundException"
        );
        assert_eq!(
            error_name(&dynamodb, "ValidationException"),
            "DynamoDb.DynamoDbException"
        );
        assert_eq!(
            error_name(&dynamodb, "String"),
            "DynamoDb.DynamoDbException"
        );

        let s3 = service(
            r#"{"metadata":{"protocol":"rest-xml","serviceId":"S3","endpointPrefix":"s3",
                "apiVersion":"2006-03-01"},
                "shapes":{"NoSuchKey":{"type":"structure","exception":true,
                                       "error":{"httpStatusCode":404}},
                          "BucketAlreadyExists":{"type":"structure","exception":true}}}"#,
        );
        assert_eq!(error_name(&s3, "NoSuchKey"), "S3.NoSuchKeyException");
        assert_eq!(
            error_name(&s3, "BucketAlreadyExists"),
            "S3.BucketAlreadyExistsException"
        );
        assert_eq!(error_name(&s3, "AccessDenied"), "S3.S3Exception");

        // A code other than the shape's name (`AddExceptionShapes.getErrorCode`): SQS's query
        // codes.
        let sqs = service(
            r#"{"metadata":{"protocol":"json","serviceId":"SQS","endpointPrefix":"sqs",
                "apiVersion":"2012-11-05"},
                "shapes":{"QueueDoesNotExist":{"type":"structure","exception":true,
                    "error":{"code":"AWS.SimpleQueueService.NonExistentQueue",
                             "httpStatusCode":400,"senderFault":true}}}}"#,
        );
        assert_eq!(
            error_name(&sqs, "AWS.SimpleQueueService.NonExistentQueue"),
            "Sqs.QueueDoesNotExistException"
        );
        assert_eq!(error_name(&sqs, "QueueDoesNotExist"), "Sqs.SqsException");
        assert_eq!(
            exception_name(&sqs, "AWS.SimpleQueueService.NonExistentQueue"),
            "QueueDoesNotExistException"
        );
    }
}
