//! The `rest-json` (Lambda, Batch, Bedrock Runtime) and `rest-xml` (S3) protocols against
//! botocore's models. Expected requests are what botocore 1.43.11 serialises for the same
//! input (its query strings in the order the parameters were given; ours in the model's).

mod protocol_support;

use baton_aws::protocol::{parse, serialize};
use serde_json::json;

use protocol_support::*;

#[test]
fn lambda_invoke() {
    let Some(model) = botocore_model("lambda") else {
        return;
    };
    let invoke = op(&model, "Invoke");
    let req = serialize(
        &model,
        invoke,
        &json!({"FunctionName": "my fn", "Payload": "{\"a\":1}", "Qualifier": "1",
                "ClientContext": "x"}),
    )
    .unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.path,
        "/2015-03-31/functions/my%20fn/invocations?Qualifier=1"
    );
    assert_eq!(
        req.headers,
        [("X-Amz-Client-Context".to_string(), "x".to_string())]
    );
    assert_eq!(body_text(&req), "{\"a\":1}");

    let answer = response(
        200,
        &[
            ("X-Amz-Executed-Version", "$LATEST"),
            ("x-amzn-RequestId", "R"),
        ],
        "{\"statusCode\":200}",
    );
    let result = parse(&model, invoke, &answer).unwrap();
    assert_eq!(
        result,
        json!({"StatusCode": 200, "Payload": "{\"statusCode\":200}", "ExecutedVersion": "$LATEST"})
    );
    assert_eq!(keys(&result), ["StatusCode", "Payload", "ExecutedVersion"]);

    let err = parse(
        &model,
        invoke,
        &response(
            404,
            &[
                ("x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awsgambit/"),
                ("x-amzn-RequestId", "R404"),
            ],
            r#"{"Type": "User", "message": "Function not found: arn:aws:lambda:us-east-1:1:function:f"}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(err.status, 404);
    assert_eq!(err.request_id.as_deref(), Some("R404"));
    assert_eq!(
        err.message.as_deref(),
        Some("Function not found: arn:aws:lambda:us-east-1:1:function:f")
    );
}

#[test]
fn lambda_query_strings_labels_and_bodies() {
    let Some(model) = botocore_model("lambda") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "ListFunctions"),
        &json!({"MaxItems": 5, "Marker": "a b"}),
    )
    .unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/2015-03-31/functions?Marker=a%20b&MaxItems=5");
    assert!(req.body.is_empty());
    assert!(req.headers.is_empty());

    let req = serialize(
        &model,
        op(&model, "TagResource"),
        &json!({"Resource": "arn:x", "Tags": {"a": "b"}}),
    )
    .unwrap();
    assert_eq!(req.path, "/2017-03-31/tags/arn%3Ax");
    assert_eq!(header(&req, "Content-Type"), Some("application/json"));
    assert_eq!(body_json(&req), json!({"Tags": {"a": "b"}}));

    let result = parse(
        &model,
        op(&model, "GetFunction"),
        &response(
            200,
            &[],
            r#"{"Configuration": {"FunctionName": "f", "MemorySize": 128, "LastModified": "2024-01-01T00:00:00.000+0000"},
                "Tags": {"a": "b"}}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Configuration": {"FunctionName": "f", "MemorySize": 128,
               "LastModified": "2024-01-01T00:00:00.000+0000"}, "Tags": {"a": "b"}})
    );
}

#[test]
fn batch_submit_job() {
    let Some(model) = botocore_model("batch") else {
        return;
    };
    let submit = op(&model, "SubmitJob");
    let req = serialize(
        &model,
        submit,
        &json!({"JobName": "j", "JobQueue": "q", "JobDefinition": "d", "Parameters": {"a": "b"}}),
    )
    .unwrap();
    assert_eq!(req.path, "/v1/submitjob");
    assert_eq!(header(&req, "Content-Type"), Some("application/json"));
    assert_eq!(
        body_json(&req),
        json!({"jobName": "j", "jobQueue": "q", "jobDefinition": "d", "parameters": {"a": "b"}})
    );
    let result = parse(
        &model,
        submit,
        &response(
            200,
            &[],
            r#"{"jobArn": "arn:j", "jobName": "j", "jobId": "1"}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"JobArn": "arn:j", "JobName": "j", "JobId": "1"})
    );

    let err = parse(
        &model,
        submit,
        &response(
            400,
            &[],
            r#"{"__type": "ClientException", "message": "Job queue not found"}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "ClientException");
}

#[test]
fn bedrock_runtime_invoke_model_and_converse() {
    let Some(model) = botocore_model("bedrock-runtime") else {
        return;
    };
    let invoke = op(&model, "InvokeModel");
    let req = serialize(
        &model,
        invoke,
        &json!({"ModelId": "m:1", "Body": "{\"x\":1}", "ContentType": "application/json"}),
    )
    .unwrap();
    assert_eq!(req.path, "/model/m%3A1/invoke");
    assert_eq!(header(&req, "Content-Type"), Some("application/json"));
    assert_eq!(body_text(&req), "{\"x\":1}");

    let result = parse(
        &model,
        invoke,
        &response(200, &[("Content-Type", "application/json")], "{\"y\":2}"),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Body": "{\"y\":2}", "ContentType": "application/json"})
    );

    let converse = op(&model, "Converse");
    let req = serialize(
        &model,
        converse,
        &json!({"ModelId": "m", "Messages": [{"Role": "user", "Content": [{"Text": "hi"}]}]}),
    )
    .unwrap();
    assert_eq!(req.path, "/model/m/converse");
    assert_eq!(
        body_json(&req),
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})
    );
    let result = parse(
        &model,
        converse,
        &response(
            200,
            &[],
            r#"{"output": {"message": {"role": "assistant", "content": [{"text": "hello"}]}},
                "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
                "metrics": {"latencyMs": 10}}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Output": {"Message": {"Role": "assistant", "Content": [{"Text": "hello"}]}},
               "StopReason": "end_turn", "Usage": {"InputTokens": 1, "OutputTokens": 2, "TotalTokens": 3},
               "Metrics": {"LatencyMs": 10}})
    );
    let err = parse(
        &model,
        converse,
        &response(
            400,
            &[(
                "x-amzn-ErrorType",
                "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            )],
            r#"{"message": "The provided model identifier is invalid."}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "ValidationException");
}

#[test]
fn s3_put_object_headers_and_streaming_body() {
    let Some(model) = botocore_model("s3") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "PutObject"),
        &json!({"Bucket": "b", "Key": "a/b c.txt", "Body": "hello", "Metadata": {"k": "v"},
                "Expires": "Tue, 14 Nov 2023 22:13:20 GMT", "ContentLength": 5}),
    )
    .unwrap();
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path, "/b/a/b%20c.txt");
    assert_eq!(header(&req, "x-amz-meta-k"), Some("v"));
    assert_eq!(
        header(&req, "Expires"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(header(&req, "Content-Length"), Some("5"));
    assert_eq!(header(&req, "Content-Type"), None);
    assert_eq!(body_text(&req), "hello");
}

#[test]
fn s3_query_strings_and_timestamps() {
    let Some(model) = botocore_model("s3") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "ListObjectsV2"),
        &json!({"Bucket": "b", "Prefix": "p/", "MaxKeys": 10, "ExpectedBucketOwner": "o"}),
    )
    .unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/b?list-type=2&max-keys=10&prefix=p%2F");
    assert_eq!(
        req.headers,
        [("x-amz-expected-bucket-owner".to_string(), "o".to_string())]
    );

    // A timestamp header (RFC 7231) and query string member (its model's `rfc822`).
    let req = serialize(
        &model,
        op(&model, "GetObject"),
        &json!({"Bucket": "b", "Key": "k", "IfModifiedSince": "2023-11-14T22:13:20Z",
                "ResponseExpires": "2023-11-14T22:13:20Z", "Range": "bytes=0-1"}),
    )
    .unwrap();
    assert!(
        req.path == "/b/k?response-expires=Tue%2C%2014%20Nov%202023%2022%3A13%3A20%20GMT"
            || req.path == "/b/k?x-id=GetObject&response-expires=Tue%2C%2014%20Nov%202023%2022%3A13%3A20%20GMT",
        "{}",
        req.path
    );
    assert_eq!(
        header(&req, "If-Modified-Since"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(header(&req, "Range"), Some("bytes=0-1"));
}

#[test]
fn s3_xml_bodies() {
    let Some(model) = botocore_model("s3") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "PutBucketTagging"),
        &json!({"Bucket": "b", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
    )
    .unwrap();
    assert_eq!(req.path, "/b?tagging");
    assert_eq!(
        body_text(&req),
        r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"#
    );

    // A flattened list.
    let req = serialize(
        &model,
        op(&model, "DeleteObjects"),
        &json!({"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}], "Quiet": true}}),
    )
    .unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/b?delete");
    assert_eq!(
        body_text(&req),
        r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>"#
    );

    // Attributes with a namespace prefix.
    let req = serialize(
        &model,
        op(&model, "PutBucketAcl"),
        &json!({"Bucket": "b", "AccessControlPolicy": {"Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "id1"},
                "Permission": "READ"}], "Owner": {"ID": "o"}}}),
    )
    .unwrap();
    assert_eq!(
        body_text(&req),
        r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>id1</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList><Owner><ID>o</ID></Owner></AccessControlPolicy>"#
    );
}

#[test]
fn s3_answers() {
    let Some(model) = botocore_model("s3") else {
        return;
    };
    let list = op(&model, "ListObjectsV2");
    let answer = response(
        200,
        &[("x-amz-request-id", "R")],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>p/a</Key><LastModified>2013-08-23T01:02:15.422Z</LastModified><ETag>&quot;e1&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>p/b</Key><LastModified>2013-08-23T01:02:15.000Z</LastModified><ETag>&quot;e2&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"#,
    );
    let result = parse(&model, list, &answer).unwrap();
    assert_eq!(
        result,
        json!({"IsTruncated": false,
               "Contents": [
                   {"Key": "p/a", "LastModified": "2013-08-23T01:02:15.422Z", "ETag": "\"e1\"", "Size": 5, "StorageClass": "STANDARD"},
                   {"Key": "p/b", "LastModified": "2013-08-23T01:02:15Z", "ETag": "\"e2\"", "Size": 0, "StorageClass": "STANDARD"}],
               "Name": "b", "Prefix": "p/", "MaxKeys": 1000, "KeyCount": 2})
    );

    let get = op(&model, "GetObject");
    let answer = response(
        200,
        &[
            ("Content-Length", "5"),
            ("Content-Type", "text/plain"),
            ("ETag", "\"e1\""),
            ("Last-Modified", "Fri, 23 Aug 2013 01:02:15 GMT"),
            ("x-amz-meta-owner", "me"),
            ("x-amz-request-id", "R"),
        ],
        "hello",
    );
    let result = parse(&model, get, &answer).unwrap();
    assert_eq!(result["Body"], json!("hello"));
    assert_eq!(result["ContentLength"], json!(5));
    assert_eq!(result["ContentType"], json!("text/plain"));
    assert_eq!(result["ETag"], json!("\"e1\""));
    assert_eq!(result["LastModified"], json!("2013-08-23T01:02:15Z"));
    assert_eq!(result["Metadata"], json!({"owner": "me"}));

    // Errors: S3's XML, a HEAD's 404 without a body, an <Error> answered with 200.
    let err = parse(
        &model,
        get,
        &response(
            404,
            &[("x-amz-request-id", "R1"), ("x-amz-id-2", "H1")],
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>R1</RequestId><HostId>H1</HostId></Error>"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "NoSuchKey");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified key does not exist.")
    );
    assert_eq!(err.request_id.as_deref(), Some("R1"));
    assert_eq!(err.extended_request_id.as_deref(), Some("H1"));

    let err = parse(
        &model,
        op(&model, "HeadObject"),
        &response(404, &[("x-amz-request-id", "R2")], ""),
    )
    .unwrap_err();
    assert_eq!(err.code, "NotFound");
    assert_eq!(err.status, 404);
    assert_eq!(err.message, None);
    assert_eq!(err.request_id.as_deref(), Some("R2"));

    let err = parse(
        &model,
        op(&model, "CopyObject"),
        &response(
            200,
            &[],
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>R3</RequestId></Error>"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "InternalError");
    assert_eq!(err.request_id.as_deref(), Some("R3"));

    // A success status other than 2xx is an error.
    let err = parse(&model, get, &response(304, &[], "")).unwrap_err();
    assert_eq!(err.code, "NotModified");
}
