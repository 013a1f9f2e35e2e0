//! One AWS service model, as botocore publishes it (`<service>/<version>/service-2.json`): the
//! service's metadata, its operations and the shapes their inputs, outputs and errors are made
//! of. Only what serialising, validating and parsing need is read; documentation is not.
//!
//! The same types read the models built into Baton (stripped by `codegen/generate.py`) and the
//! models of an installed botocore.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

/// A whole service model.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceModel {
    pub metadata: Metadata,
    /// By operation name (`PutItem`).
    #[serde(default)]
    pub operations: HashMap<String, Operation>,
    /// By shape name.
    #[serde(default)]
    pub shapes: HashMap<String, Shape>,
}

impl ServiceModel {
    /// Reads a model from its JSON text.
    pub fn from_json(text: &str) -> Result<ServiceModel, String> {
        serde_json::from_str(text).map_err(|e| format!("not a service model: {e}"))
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }
}

/// The service's `metadata` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `json`, `rest-json`, `rest-xml`, `query` or `ec2`.
    pub protocol: String,
    /// The protocols the service supports, preferred first (newer models list several).
    #[serde(default)]
    pub protocols: Vec<String>,
    /// `1.0` or `1.1` for the JSON protocols.
    pub json_version: Option<String>,
    /// `X-Amz-Target`'s prefix for the JSON protocol (`DynamoDB_20120810`).
    pub target_prefix: Option<String>,
    /// The service's id (`DynamoDB`, `SFN`, `API Gateway`): what SDKs name the service after.
    pub service_id: String,
    /// SigV4's service name; `endpoint_prefix` when absent.
    pub signing_name: Option<String>,
    /// The first label of the service's host name (`dynamodb`, `states`).
    pub endpoint_prefix: String,
    pub api_version: String,
    /// The XML namespace of `rest-xml` and `query` bodies.
    pub xml_namespace: Option<Value>,
    /// `v4`, `s3`, `s3v4`, `v2`.
    pub signature_version: Option<String>,
    /// Services with one endpoint for every region (IAM): the partition's region signs.
    pub global_endpoint: Option<String>,
}

impl Metadata {
    /// SigV4's service name.
    pub fn signing_name(&self) -> &str {
        self.signing_name
            .as_deref()
            .unwrap_or(&self.endpoint_prefix)
    }
}

/// One operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub name: String,
    #[serde(default)]
    pub http: Http,
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    /// `{"hostPrefix": "data-"}`: labels put before the endpoint's host.
    pub endpoint: Option<OperationEndpoint>,
    #[serde(default)]
    pub deprecated: bool,
    /// A request checksum is required (`Content-MD5` for S3's older operations).
    #[serde(default)]
    pub http_checksum_required: bool,
    /// botocore's `authtype`: `none` for operations sent unsigned (STS's AssumeRoleWithWebIdentity).
    pub authtype: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_uri")]
    pub request_uri: String,
    /// The status a success answers with, when not 200.
    pub response_code: Option<u16>,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            method: default_method(),
            request_uri: default_uri(),
            response_code: None,
        }
    }
}

fn default_method() -> String {
    "POST".into()
}

fn default_uri() -> String {
    "/".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationEndpoint {
    pub host_prefix: Option<String>,
}

/// A reference to a shape, from an operation or a member, with the serialisation traits the
/// reference carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    /// `uri`, `querystring`, `header`, `headers` (a prefix: `x-amz-meta-`), `statusCode`.
    pub location: Option<String>,
    /// The name on the wire when not the member's (a header, a query key, an XML element).
    pub location_name: Option<String>,
    pub query_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub xml_attribute: bool,
    pub xml_namespace: Option<Value>,
    /// A string member holding JSON, sent and received base64-encoded in headers.
    #[serde(default, rename = "jsonvalue")]
    pub json_value: bool,
    /// Filled with a fresh UUID when the caller leaves it out.
    #[serde(default)]
    pub idempotency_token: bool,
    /// Substituted into the operation's host prefix.
    #[serde(default)]
    pub host_label: bool,
    pub timestamp_format: Option<String>,
    /// The member is the whole (streaming) body.
    #[serde(default)]
    pub streaming: bool,
    #[serde(default, rename = "eventpayload")]
    pub event_payload: bool,
    #[serde(default)]
    pub deprecated: bool,
    /// The element the `query` protocol wraps an operation's output in (`PublishResult`).
    pub result_wrapper: Option<String>,
}

/// One shape. Which fields mean something depends on `kind`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    /// `structure`, `list`, `map`, `string`, `integer`, `long`, `float`, `double`, `boolean`,
    /// `timestamp`, `blob`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A structure's members, in the model's order.
    #[serde(default)]
    pub members: indexmap::IndexMap<String, ShapeRef>,
    #[serde(default)]
    pub required: Vec<String>,
    /// The member that is the whole body (rest protocols).
    pub payload: Option<String>,
    /// A list's member.
    pub member: Option<Box<ShapeRef>>,
    /// A map's key and value.
    pub key: Option<Box<ShapeRef>>,
    pub value: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub flattened: bool,
    pub location_name: Option<String>,
    /// A string's allowed values.
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    /// Length (strings, blobs, lists, maps) or value (numbers) bounds.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub timestamp_format: Option<String>,
    /// An error shape.
    #[serde(default)]
    pub exception: bool,
    pub error: Option<ErrorTrait>,
    #[serde(default)]
    pub fault: bool,
    /// A union: exactly one member is set.
    #[serde(default)]
    pub union: bool,
    #[serde(default, rename = "eventstream")]
    pub event_stream: bool,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub document: bool,
    #[serde(default)]
    pub sensitive: bool,
    pub xml_namespace: Option<Value>,
}

/// An error shape's `error` block: the code on the wire when it is not the shape's name.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTrait {
    pub code: Option<String>,
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}
