//! The `query` (SNS, STS) and `ec2` protocols against botocore's models. Expected requests are
//! what botocore 1.43.11 serialises for the same input.

mod protocol_support;

use baton_aws::protocol::{parse, serialize};
use serde_json::json;

use protocol_support::*;

#[test]
fn sns_publish_and_subscribe() {
    let Some(model) = botocore_model("sns") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "Publish"),
        &json!({"TopicArn": "arn:t", "Message": "m",
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"},
                                      "b": {"DataType": "Binary", "BinaryValue": "hi"}}}),
    )
    .unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/");
    assert_eq!(
        header(&req, "Content-Type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(
        form(&req),
        pairs(&[
            ("Action", "Publish"),
            ("Version", "2010-03-31"),
            ("TopicArn", "arn:t"),
            ("Message", "m"),
            ("MessageAttributes.entry.1.Name", "k"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "v"),
            ("MessageAttributes.entry.2.Name", "b"),
            ("MessageAttributes.entry.2.Value.DataType", "Binary"),
            ("MessageAttributes.entry.2.Value.BinaryValue", "aGk="),
        ])
    );
    // On the wire, percent-encoded.
    assert!(body_text(&req).contains("TopicArn=arn%3At"));

    let req = serialize(
        &model,
        op(&model, "Subscribe"),
        &json!({"TopicArn": "arn:t", "Protocol": "sqs", "Endpoint": "e",
                "Attributes": {"RawMessageDelivery": "true"}}),
    )
    .unwrap();
    assert_eq!(
        form(&req),
        pairs(&[
            ("Action", "Subscribe"),
            ("Version", "2010-03-31"),
            ("TopicArn", "arn:t"),
            ("Protocol", "sqs"),
            ("Endpoint", "e"),
            ("Attributes.entry.1.key", "RawMessageDelivery"),
            ("Attributes.entry.1.value", "true"),
        ])
    );
}

#[test]
fn sns_answers_and_errors() {
    let Some(model) = botocore_model("sns") else {
        return;
    };
    let result = parse(
        &model,
        op(&model, "Publish"),
        &response(
            200,
            &[],
            r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>m-1</MessageId></PublishResult>
  <ResponseMetadata><RequestId>R</RequestId></ResponseMetadata>
</PublishResponse>"#,
        ),
    )
    .unwrap();
    assert_eq!(result, json!({"MessageId": "m-1"}));

    let result = parse(
        &model,
        op(&model, "ListTopics"),
        &response(
            200,
            &[],
            r#"<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics><member><TopicArn>arn:a</TopicArn></member><member><TopicArn>arn:b</TopicArn></member></Topics><NextToken>n</NextToken></ListTopicsResult><ResponseMetadata><RequestId>R</RequestId></ResponseMetadata></ListTopicsResponse>"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Topics": [{"TopicArn": "arn:a"}, {"TopicArn": "arn:b"}], "NextToken": "n"})
    );

    // Empty lists are kept.
    let result = parse(
        &model,
        op(&model, "ListTopics"),
        &response(
            200,
            &[],
            r#"<ListTopicsResponse><ListTopicsResult><Topics/></ListTopicsResult></ListTopicsResponse>"#,
        ),
    )
    .unwrap();
    assert_eq!(result, json!({"Topics": []}));

    let result = parse(
        &model,
        op(&model, "GetTopicAttributes"),
        &response(
            200,
            &[],
            r#"<GetTopicAttributesResponse><GetTopicAttributesResult><Attributes><entry><key>Owner</key><value>1</value></entry><entry><key>DisplayName</key><value></value></entry></Attributes></GetTopicAttributesResult></GetTopicAttributesResponse>"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Attributes": {"Owner": "1", "DisplayName": ""}})
    );

    let err = parse(
        &model,
        op(&model, "Publish"),
        &response(
            404,
            &[],
            r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>R404</RequestId></ErrorResponse>"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "NotFound");
    assert_eq!(err.message.as_deref(), Some("Topic does not exist"));
    assert_eq!(err.request_id.as_deref(), Some("R404"));
    assert_eq!(err.status, 404);
}

#[test]
fn sts_assume_role() {
    let Some(model) = botocore_model("sts") else {
        return;
    };
    let assume = op(&model, "AssumeRole");
    let req = serialize(
        &model,
        assume,
        &json!({"RoleArn": "arn:r", "RoleSessionName": "s", "PolicyArns": [{"Arn": "arn:p"}],
                "Tags": [{"Key": "k", "Value": "v"}], "DurationSeconds": 900}),
    )
    .unwrap();
    assert_eq!(
        form(&req),
        pairs(&[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:r"),
            ("RoleSessionName", "s"),
            ("PolicyArns.member.1.arn", "arn:p"),
            ("DurationSeconds", "900"),
            ("Tags.member.1.Key", "k"),
            ("Tags.member.1.Value", "v"),
        ])
    );
    // An empty list is sent as an empty value.
    let req = serialize(
        &model,
        assume,
        &json!({"RoleArn": "arn:r", "RoleSessionName": "s", "PolicyArns": []}),
    )
    .unwrap();
    assert_eq!(
        form(&req),
        pairs(&[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:r"),
            ("RoleSessionName", "s"),
            ("PolicyArns", ""),
        ])
    );

    let result = parse(
        &model,
        assume,
        &response(
            200,
            &[],
            r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>
    <Credentials><AccessKeyId>AK</AccessKeyId><SecretAccessKey>SK</SecretAccessKey><SessionToken>T</SessionToken><Expiration>2013-08-23T01:02:15Z</Expiration></Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>R</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Credentials": {"AccessKeyId": "AK", "SecretAccessKey": "SK", "SessionToken": "T",
                               "Expiration": "2013-08-23T01:02:15Z"},
               "AssumedRoleUser": {"AssumedRoleId": "AROA:s", "Arn": "arn:aws:sts::1:assumed-role/r/s"},
               "PackedPolicySize": 6})
    );

    let err = parse(
        &model,
        assume,
        &response(
            403,
            &[("x-amzn-RequestId", "RH")],
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>RB</RequestId></ErrorResponse>"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "AccessDenied");
    assert_eq!(err.request_id.as_deref(), Some("RH"));
}

#[test]
fn ec2_describe_and_run_instances() {
    let Some(model) = botocore_model("ec2") else {
        return;
    };
    let describe = op(&model, "DescribeInstances");
    let req = serialize(
        &model,
        describe,
        &json!({"InstanceIds": ["i-1", "i-2"], "Filters": [{"Name": "n", "Values": ["a", "b"]}],
                "MaxResults": 5, "DryRun": false}),
    )
    .unwrap();
    let mut got = form(&req);
    got.sort();
    let mut expected = pairs(&[
        ("Action", "DescribeInstances"),
        ("Version", "2016-11-15"),
        ("InstanceId.1", "i-1"),
        ("InstanceId.2", "i-2"),
        ("Filter.1.Name", "n"),
        ("Filter.1.Value.1", "a"),
        ("Filter.1.Value.2", "b"),
        ("MaxResults", "5"),
        ("DryRun", "false"),
    ]);
    expected.sort();
    assert_eq!(got, expected);

    let req = serialize(
        &model,
        op(&model, "RunInstances"),
        &json!({"ImageId": "ami", "MinCount": 1, "MaxCount": 1,
                "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "v"}]}]}),
    )
    .unwrap();
    let got = form(&req);
    for pair in pairs(&[
        ("ImageId", "ami"),
        ("MinCount", "1"),
        ("MaxCount", "1"),
        ("TagSpecification.1.ResourceType", "instance"),
        ("TagSpecification.1.Tag.1.Key", "k"),
        ("TagSpecification.1.Tag.1.Value", "v"),
    ]) {
        assert!(got.contains(&pair), "{pair:?} not in {got:?}");
    }
    // RunInstances' ClientToken is an idempotency token.
    assert!(
        got.iter().any(|(k, v)| k == "ClientToken" && v.len() == 36),
        "{got:?}"
    );

    let result = parse(
        &model,
        describe,
        &response(
            200,
            &[],
            r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>R</requestId>
  <reservationSet><item><reservationId>r-1</reservationId><ownerId>1</ownerId><groupSet/>
    <instancesSet><item><instanceId>i-1</instanceId><launchTime>2013-08-23T01:02:15.000Z</launchTime>
      <instanceState><code>16</code><name>running</name></instanceState>
      <tagSet><item><key>k</key><value>v</value></item></tagSet>
      <ebsOptimized>false</ebsOptimized>
    </item></instancesSet>
  </item></reservationSet>
</DescribeInstancesResponse>"#,
        ),
    )
    .unwrap();
    let reservation = &result["Reservations"][0];
    assert_eq!(reservation["ReservationId"], json!("r-1"));
    assert_eq!(reservation["OwnerId"], json!("1"));
    assert_eq!(reservation["Groups"], json!([]));
    let instance = &reservation["Instances"][0];
    assert_eq!(instance["InstanceId"], json!("i-1"));
    assert_eq!(instance["LaunchTime"], json!("2013-08-23T01:02:15Z"));
    assert_eq!(instance["State"], json!({"Code": 16, "Name": "running"}));
    assert_eq!(instance["Tags"], json!([{"Key": "k", "Value": "v"}]));
    assert_eq!(instance["EbsOptimized"], json!(false));
    assert!(result.get("NextToken").is_none());

    let err = parse(
        &model,
        describe,
        &response(
            400,
            &[],
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1' does not exist</Message></Error></Errors><RequestID>RID</RequestID></Response>"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "InvalidInstanceID.NotFound");
    assert_eq!(
        err.message.as_deref(),
        Some("The instance ID 'i-1' does not exist")
    );
    assert_eq!(err.request_id.as_deref(), Some("RID"));
}
