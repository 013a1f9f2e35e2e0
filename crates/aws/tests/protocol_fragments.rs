//! Parameters refused before any request, and each protocol's rules, on hand-written model
//! fragments (no installed botocore needed).

mod protocol_support;

use baton_aws::model::ServiceModel;
use baton_aws::protocol::{parse, serialize, ParamError};
use serde_json::{json, Value};

use protocol_support::*;

/// A model with one operation `Op` whose input is `Input`, in `protocol`.
fn model(protocol: &str, op: Value, shapes: Value) -> ServiceModel {
    let mut shapes = shapes;
    let common = json!({
        "String": {"type": "string", "min": 3, "pattern": "^[a-z]+$", "enum": ["abc"]},
        "Integer": {"type": "integer", "max": 2},
        "Long": {"type": "long"},
        "Double": {"type": "double"},
        "Boolean": {"type": "boolean"},
        "Timestamp": {"type": "timestamp"},
        "Blob": {"type": "blob"},
        "Strings": {"type": "list", "member": {"shape": "String"}},
        "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
        "Token": {"type": "string"}
    });
    for (k, v) in common.as_object().unwrap() {
        shapes
            .as_object_mut()
            .unwrap()
            .entry(k.clone())
            .or_insert(v.clone());
    }
    fragment(json!({
        "metadata": {"protocol": protocol, "jsonVersion": "1.1", "targetPrefix": "Svc_1",
                     "serviceId": "Svc", "endpointPrefix": "svc", "apiVersion": "2020-01-01",
                     "xmlNamespace": "https://svc.amazonaws.com/doc/2020-01-01/"},
        "operations": {"Op": op},
        "shapes": shapes
    }))
}

fn json_model() -> ServiceModel {
    model(
        "json",
        json!({"name": "Op", "http": {"method": "POST", "requestUri": "/"},
               "input": {"shape": "Input"}, "output": {"shape": "Output"},
               "endpoint": {"hostPrefix": "data-{Account}."}}),
        json!({
            "Input": {"type": "structure", "required": ["Name", "Account"], "members": {
                "Name": {"shape": "String"},
                "Account": {"shape": "String", "hostLabel": true},
                "count": {"shape": "Integer"},
                "Items": {"shape": "Items"},
                "Tags": {"shape": "StringMap"},
                "When": {"shape": "Timestamp"},
                "WhenIso": {"shape": "Timestamp", "timestampFormat": "iso8601"},
                "Data": {"shape": "Blob"},
                "Equals": {"shape": "String"},
                "Token": {"shape": "Token", "idempotencyToken": true},
                "Doc": {"shape": "Doc"}
            }},
            "Items": {"type": "list", "member": {"shape": "Item"}},
            "Item": {"type": "structure", "members": {
                "Key": {"shape": "String"}, "Values": {"shape": "Strings"}, "Ratio": {"shape": "Double"}
            }},
            "Doc": {"type": "structure", "members": {}, "document": true},
            "Output": {"type": "structure", "members": {
                "zeta": {"shape": "String"},
                "Created": {"shape": "Timestamp"},
                "Data": {"shape": "Blob"},
                "Size": {"shape": "Long"},
                "Ratio": {"shape": "Double"},
                "Items": {"shape": "Items"},
                "Doc": {"shape": "Doc"},
                "Missing": {"shape": "String"}
            }}
        }),
    )
}

#[test]
fn unknown_fields_are_refused_as_step_functions_refuses_them() {
    let m = json_model();
    let op = op(&m, "Op");
    let err = serialize(&m, op, &json!({"Name": "a", "Account": "1", "Foo": 1})).unwrap_err();
    assert_eq!(err, ParamError::UnknownField("Foo".into()));
    assert_eq!(
        err.to_string(),
        "The field \"Foo\" is not supported by Step Functions"
    );

    // Nested.
    let err = serialize(
        &m,
        op,
        &json!({"Account": "1", "Items": [{"Key": "a", "Bar": 2}]}),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The field \"Bar\" is not supported by Step Functions"
    );

    // Model names as they are: `count` is `Count`, `Equals` is `EqualsValue`.
    let err = serialize(&m, op, &json!({"Account": "1", "count": 1})).unwrap_err();
    assert_eq!(err, ParamError::UnknownField("count".into()));
    let err = serialize(&m, op, &json!({"Account": "1", "Equals": "x"})).unwrap_err();
    assert_eq!(err, ParamError::UnknownField("Equals".into()));
    let req = serialize(
        &m,
        op,
        &json!({"Account": "1", "Count": 1, "EqualsValue": "x"}),
    )
    .unwrap();
    let body = body_json(&req);
    assert_eq!(body["count"], json!(1));
    assert_eq!(body["Equals"], json!("x"));

    // Documents take anything.
    let req = serialize(
        &m,
        op,
        &json!({"Account": "1", "Doc": {"any": [1, {"thing": null}]}}),
    )
    .unwrap();
    assert_eq!(body_json(&req)["Doc"], json!({"any": [1, {"thing": null}]}));
}

#[test]
fn values_of_the_wrong_type_are_refused() {
    let m = json_model();
    let op = op(&m, "Op");
    let cases = [
        (json!({"Items": "a"}), "Items"),
        (json!({"Count": "10"}), "Count"),
        (json!({"Count": 1.5}), "Count"),
        (json!({"Tags": ["a"]}), "Tags"),
        (json!({"Items": [{"Ratio": "0.5"}]}), "Items"),
        (json!({"When": "next tuesday"}), "When"),
        (json!({"When": true}), "When"),
        (json!({"Data": 123}), "Data"),
    ];
    for (mut params, field) in cases {
        params["Account"] = json!("1");
        let err = serialize(&m, op, &params).unwrap_err();
        assert_eq!(err, ParamError::InvalidFormat(field.into()), "{params}");
        assert_eq!(
            err.to_string(),
            format!("The value of the field '{field}' has an invalid format")
        );
    }
    assert_eq!(
        serialize(&m, op, &json!([1])).unwrap_err(),
        ParamError::NotAnObject
    );
}

/// JSON given for a text member is sent as its JSON text, as Step Functions serialises it
/// (`aws-sdk:sfn:startExecution` with an object `Input` succeeds on AWS:
/// `services-sfn-start-execution-implicit-json-serialisation`).
#[test]
fn json_for_a_text_member_is_sent_as_its_text() {
    let m = json_model();
    let op = op(&m, "Op");
    for (value, text) in [
        (json!({"a": 1}), r#"{"a":1}"#),
        (json!([1, "b"]), r#"[1,"b"]"#),
        (json!(5), "5"),
        (json!(true), "true"),
    ] {
        let req = serialize(&m, op, &json!({"Account": "1", "Name": value})).unwrap();
        assert_eq!(body_json(&req)["Name"], json!(text));
    }
}

#[test]
fn constraints_and_required_members_are_the_services_to_check() {
    let m = json_model();
    let op = op(&m, "Op");
    // `Name` is required, at least 3 long, lower-case and one of an enum; `Count` at most 2.
    let req = serialize(&m, op, &json!({"Account": "1", "Count": 99, "Name": "X"})).unwrap();
    assert_eq!(body_json(&req)["Name"], json!("X"));
    assert_eq!(body_json(&req)["count"], json!(99));
    // Null is absent; null parameters are none.
    let req = serialize(&m, op, &json!({"Account": "1", "Name": null})).unwrap();
    assert!(body_json(&req).get("Name").is_none());
    let m2 = model(
        "json",
        json!({"name": "Op", "input": {"shape": "Empty"}}),
        json!({"Empty": {"type": "structure", "members": {}}}),
    );
    let req = serialize(&m2, op_of(&m2), &Value::Null).unwrap();
    assert_eq!(body_text(&req), "{}");
    assert_eq!(header(&req, "X-Amz-Target"), Some("Svc_1.Op"));
    assert_eq!(
        header(&req, "Content-Type"),
        Some("application/x-amz-json-1.1")
    );
}

fn op_of(m: &ServiceModel) -> &baton_aws::model::Operation {
    op(m, "Op")
}

#[test]
fn json_timestamps_blobs_tokens_and_host_prefix() {
    let m = json_model();
    let op = op(&m, "Op");
    let req = serialize(
        &m,
        op,
        &json!({"Account": "123", "When": "2013-08-23T01:02:15.422Z", "WhenIso": 1377219735,
                "Data": "hi"}),
    )
    .unwrap();
    assert_eq!(req.host_prefix.as_deref(), Some("data-123."));
    let body = body_json(&req);
    assert_eq!(body["When"], json!(1377219735.422));
    assert_eq!(body["WhenIso"], json!("2013-08-23T01:02:15Z"));
    assert_eq!(body["Data"], json!("aGk="));
    let token = body["Token"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(token).unwrap().get_version_num(), 4);
    // A token given is kept; each call gets its own.
    let req = serialize(&m, op, &json!({"Account": "1", "Token": "mine"})).unwrap();
    assert_eq!(body_json(&req)["Token"], json!("mine"));
    let again = serialize(&m, op, &json!({"Account": "123"})).unwrap();
    assert_ne!(body_json(&again)["Token"].as_str().unwrap(), token);

    let err = serialize(&m, op, &json!({"Name": "a"})).unwrap_err();
    assert_eq!(err, ParamError::InvalidFormat("Account".into()));
}

#[test]
fn json_answers_in_model_order_with_java_instants() {
    let m = json_model();
    let op = op(&m, "Op");
    let result = parse(
        &m,
        op,
        &response(
            200,
            &[],
            r#"{"Doc": {"x": [1]}, "Items": [], "Ratio": 1.5, "Size": 12345678901,
                "Data": "aGk=", "Created": 1377219735.422, "zeta": "z", "Missing": null}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        keys(&result),
        ["Zeta", "Created", "Data", "Size", "Ratio", "Items", "Doc"]
    );
    assert_eq!(
        result,
        json!({"Zeta": "z", "Created": "2013-08-23T01:02:15.422Z", "Data": "hi",
               "Size": 12345678901i64, "Ratio": 1.5, "Items": [], "Doc": {"x": [1]}})
    );
    // Bytes that are not UTF-8 are written in base64.
    let result = parse(&m, op, &response(200, &[], r#"{"Data": "/w=="}"#)).unwrap();
    assert_eq!(result, json!({"Data": "/w=="}));

    // Malformed answers are errors, not results.
    let err = parse(&m, op, &response(200, &[], "{not json")).unwrap_err();
    assert_eq!(err.code, "SdkClientException");

    // An error without a code is named after its status.
    let err = parse(&m, op, &response(503, &[], "")).unwrap_err();
    assert_eq!(err.code, "ServiceUnavailable");
    let err = parse(
        &m,
        op,
        &response(
            400,
            &[],
            r#"{"code": "aws.foo#Bad:http://x", "errorMessage": "m"}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_deref()),
        ("Bad", Some("m"))
    );
}

fn rest_json_model() -> ServiceModel {
    model(
        "rest-json",
        json!({"name": "Op", "http": {"method": "PUT", "requestUri": "/v1/{Bucket}/{Key+}?fixed=1", "responseCode": 201},
               "input": {"shape": "Input"}, "output": {"shape": "Output"}}),
        json!({
            "Input": {"type": "structure", "members": {
                "Bucket": {"shape": "String", "location": "uri", "locationName": "Bucket"},
                "key": {"shape": "String", "location": "uri", "locationName": "Key"},
                "Ids": {"shape": "Strings", "location": "querystring", "locationName": "id"},
                "Filters": {"shape": "StringMap", "location": "querystring"},
                "Since": {"shape": "Timestamp", "location": "querystring", "locationName": "since"},
                "Flag": {"shape": "Boolean", "location": "querystring", "locationName": "flag"},
                "At": {"shape": "Timestamp", "location": "header", "locationName": "X-At"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "Ctx": {"shape": "String", "location": "header", "locationName": "X-Ctx", "jsonvalue": true},
                "List": {"shape": "Strings", "location": "header", "locationName": "X-List"},
                "Body1": {"shape": "String"},
                "When": {"shape": "Timestamp"}
            }},
            "Output": {"type": "structure", "members": {
                "Status": {"shape": "Integer", "location": "statusCode"},
                "ETag": {"shape": "String", "location": "header", "locationName": "ETag"},
                "Count": {"shape": "Integer", "location": "header", "locationName": "X-Count"},
                "At": {"shape": "Timestamp", "location": "header", "locationName": "X-At"},
                "List": {"shape": "Strings", "location": "header", "locationName": "X-List"},
                "Meta": {"shape": "StringMap", "location": "headers", "locationName": "x-meta-"},
                "body1": {"shape": "String"},
                "When": {"shape": "Timestamp"}
            }}
        }),
    )
}

#[test]
fn rest_json_locations() {
    let m = rest_json_model();
    let op = op(&m, "Op");
    let req = serialize(
        &m,
        op,
        &json!({"Bucket": "b b", "Key": "a/b c/d", "Ids": ["1", "2"], "Filters": {"k": "v w"},
                "Since": 1377219735, "Flag": true, "At": "2013-08-23T01:02:15Z",
                "Meta": {"a": "1"}, "Ctx": "{\"x\":1}", "List": ["a", "b,c"],
                "Body1": "x", "When": "2013-08-23T01:02:15Z"}),
    )
    .unwrap();
    assert_eq!(req.method, "PUT");
    assert_eq!(
        req.path,
        "/v1/b%20b/a/b%20c/d?fixed=1&id=1&id=2&k=v%20w&since=2013-08-23T01%3A02%3A15Z&flag=true"
    );
    assert_eq!(header(&req, "X-At"), Some("Fri, 23 Aug 2013 01:02:15 GMT"));
    assert_eq!(header(&req, "x-meta-a"), Some("1"));
    assert_eq!(header(&req, "X-Ctx"), Some("eyJ4IjoxfQ=="));
    assert_eq!(header(&req, "X-List"), Some("a,\"b,c\""));
    assert_eq!(header(&req, "Content-Type"), Some("application/json"));
    assert_eq!(body_json(&req), json!({"Body1": "x", "When": 1377219735}));

    // Without body members' values, the body is still `{}`.
    let req = serialize(&m, op, &json!({"Bucket": "b", "Key": "k"})).unwrap();
    assert_eq!(body_text(&req), "{}");

    let result = parse(
        &m,
        op,
        &response(
            201,
            &[
                ("ETag", "\"e\""),
                ("X-Count", "3"),
                ("X-At", "Fri, 23 Aug 2013 01:02:15 GMT"),
                ("X-List", "a, \"b,c\""),
                ("X-Meta-One", "1"),
            ],
            r#"{"body1": "b", "When": 1377219735}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Status": 201, "ETag": "\"e\"", "Count": 3, "At": "2013-08-23T01:02:15Z",
               "List": ["a", "b,c"], "Meta": {"one": "1"}, "Body1": "b",
               "When": "2013-08-23T01:02:15Z"})
    );
}

#[test]
fn rest_xml_and_query_fragments() {
    let m = model(
        "rest-xml",
        json!({"name": "Op", "http": {"method": "POST", "requestUri": "/"},
               "input": {"shape": "Input", "locationName": "OpRequest",
                         "xmlNamespace": {"uri": "https://svc/doc"}},
               "output": {"shape": "Output"}}),
        json!({
            "Input": {"type": "structure", "members": {
                "Names": {"shape": "Strings", "flattened": true, "locationName": "Name"},
                "Wrapped": {"shape": "Wrapped"},
                "Map": {"shape": "StringMap"},
                "When": {"shape": "Timestamp"},
                "Data": {"shape": "Blob"},
                "Text": {"shape": "String"}
            }},
            "Wrapped": {"type": "list", "member": {"shape": "String", "locationName": "W"}},
            "Output": {"type": "structure", "members": {
                "Id": {"shape": "String", "xmlAttribute": true, "locationName": "id"},
                "Names": {"shape": "Strings", "flattened": true, "locationName": "Name"},
                "Wrapped": {"shape": "Wrapped"},
                "Map": {"shape": "StringMap"},
                "When": {"shape": "Timestamp"},
                "Data": {"shape": "Blob"},
                "Text": {"shape": "String"}
            }}
        }),
    );
    let op = op(&m, "Op");
    let req = serialize(
        &m,
        op,
        &json!({"Names": ["a", "b"], "Wrapped": ["c"], "Map": {"k": "v"},
                "When": 1377219735, "Data": "hi", "Text": "<&>"}),
    )
    .unwrap();
    assert_eq!(
        body_text(&req),
        r#"<OpRequest xmlns="https://svc/doc"><Name>a</Name><Name>b</Name><Wrapped><W>c</W></Wrapped><Map><entry><key>k</key><value>v</value></entry></Map><When>2013-08-23T01:02:15Z</When><Data>aGk=</Data><Text>&lt;&amp;&gt;</Text></OpRequest>"#
    );
    let result = parse(
        &m,
        op,
        &response(
            200,
            &[],
            r#"<OpResult id="7" xmlns="https://svc/doc"><Text>&lt;&amp;&gt;</Text><Name>a</Name><Name>b</Name><Wrapped><W>c</W></Wrapped><Map><entry><key>k</key><value>v</value></entry></Map><When>2013-08-23T01:02:15.100Z</When><Data>aGk=</Data></OpResult>"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Id": "7", "Names": ["a", "b"], "Wrapped": ["c"], "Map": {"k": "v"},
               "When": "2013-08-23T01:02:15.100Z", "Data": "hi", "Text": "<&>"})
    );

    // The same input in `query` and `ec2`.
    for (protocol, expected) in [
        (
            "query",
            vec![
                ("Action", "Op"),
                ("Version", "2020-01-01"),
                ("Name.1", "a"),
                ("Name.2", "b"),
                ("Wrapped.W.1", "c"),
                ("Map.entry.1.key", "k"),
                ("Map.entry.1.value", "v"),
                ("When", "2013-08-23T01:02:15Z"),
                ("Data", "aGk="),
                ("Text", "<&>"),
            ],
        ),
        (
            "ec2",
            vec![
                ("Action", "Op"),
                ("Version", "2020-01-01"),
                ("Name.1", "a"),
                ("Name.2", "b"),
                ("Wrapped.1", "c"),
                ("Map.entry.1.key", "k"),
                ("Map.entry.1.value", "v"),
                ("When", "2013-08-23T01:02:15Z"),
                ("Data", "aGk="),
                ("Text", "<&>"),
            ],
        ),
    ] {
        let mut m = m.clone();
        m.metadata.protocol = protocol.to_string();
        let req = serialize(
            &m,
            op,
            &json!({"Names": ["a", "b"], "Wrapped": ["c"], "Map": {"k": "v"},
                    "When": "2013-08-23T01:02:15Z", "Data": "hi", "Text": "<&>"}),
        )
        .unwrap();
        assert_eq!(form(&req), pairs(&expected), "{protocol}");
    }
}

#[test]
fn ec2_names_members_by_query_name_or_capitalised_location_name() {
    let m = model(
        "ec2",
        json!({"name": "Op", "input": {"shape": "Input"}, "output": {"shape": "Output"}}),
        json!({
            "Input": {"type": "structure", "members": {
                "InstanceIds": {"shape": "Ids", "locationName": "InstanceId"},
                "DryRun": {"shape": "Boolean", "locationName": "dryRun"},
                "Filters": {"shape": "Filters", "queryName": "Filter", "locationName": "filter"}
            }},
            "Ids": {"type": "list", "member": {"shape": "String", "locationName": "InstanceId"}},
            "Filters": {"type": "list", "member": {"shape": "Filter", "locationName": "Filter"}},
            "Filter": {"type": "structure", "members": {
                "Name": {"shape": "String"},
                "Values": {"shape": "Strings", "locationName": "Value"}
            }},
            "Output": {"type": "structure", "members": {
                "Ids": {"shape": "Ids", "locationName": "instanceIdSet"},
                "Return": {"shape": "Boolean", "locationName": "return"}
            }}
        }),
    );
    let op = op(&m, "Op");
    let req = serialize(
        &m,
        op,
        &json!({"InstanceIds": ["i-1"], "DryRun": true, "Filters": [{"Name": "n", "Values": ["a"]}]}),
    )
    .unwrap();
    assert_eq!(
        form(&req),
        pairs(&[
            ("Action", "Op"),
            ("Version", "2020-01-01"),
            ("InstanceId.1", "i-1"),
            ("DryRun", "true"),
            ("Filter.1.Name", "n"),
            ("Filter.1.Value.1", "a"),
        ])
    );
    let result = parse(
        &m,
        op,
        &response(
            200,
            &[],
            r#"<OpResponse><requestId>r</requestId><instanceIdSet><InstanceId>i-1</InstanceId></instanceIdSet><return>true</return></OpResponse>"#,
        ),
    )
    .unwrap();
    assert_eq!(result, json!({"Ids": ["i-1"], "Return": true}));
}
