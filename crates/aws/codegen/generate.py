#!/usr/bin/env python3
"""Generates `crates/aws/src/models/`: the service models built into baton-aws, stripped to what
the client reads, and the Step Functions names of every service botocore knows.

Usage: python3 crates/aws/codegen/generate.py [path/to/botocore/data]

Without a path, the installed botocore's `data` folder is read (`pip install botocore`). For each
built-in service the newest version folder is taken. The models are not kept in this repository
as botocore publishes them: documentation, examples and every field the client does not read are
removed. The output is deterministic, and formatted with `rustfmt` when it is on the PATH.
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "models")

# botocore's folder names of the services built into Baton: the optimized integrations, STS for
# assumed roles and Step Functions itself.
BUILTIN = [
    "athena", "batch", "bedrock-runtime", "codebuild", "dynamodb", "ecs", "events", "glue",
    "lambda", "sagemaker", "sns", "sqs", "stepfunctions", "sts",
]

# What is kept of each part of a model. The names are botocore's spelling (`jsonvalue`,
# `eventpayload`, `eventstream` are lower case there). Besides what `src/model.rs` reads, kept are
# what the protocols need: `resultWrapper` (the query protocol's result element),
# `awsQueryCompatible` (error codes of JSON services that were query services), `sparse`, `event`
# and `serviceFullName` (for messages).
METADATA_KEYS = [
    "apiVersion", "awsQueryCompatible", "endpointPrefix", "globalEndpoint", "jsonVersion",
    "protocol", "protocols", "serviceFullName", "serviceId", "signatureVersion", "signingName",
    "targetPrefix", "xmlNamespace",
]
OPERATION_KEYS = [
    "name", "http", "input", "output", "errors", "endpoint", "deprecated", "httpChecksumRequired",
    "authtype",
]
HTTP_KEYS = ["method", "requestUri", "responseCode"]
ENDPOINT_KEYS = ["hostPrefix"]
REF_KEYS = [
    "shape", "location", "locationName", "queryName", "flattened", "xmlAttribute", "xmlNamespace",
    "jsonvalue", "idempotencyToken", "hostLabel", "timestampFormat", "streaming", "eventpayload",
    "deprecated", "resultWrapper",
]
SHAPE_KEYS = [
    "type", "members", "required", "payload", "member", "key", "value", "flattened",
    "locationName", "enum", "min", "max", "pattern", "timestampFormat", "exception", "error",
    "fault", "union", "eventstream", "event", "streaming", "document", "sensitive", "sparse",
    "xmlNamespace",
]
ERROR_KEYS = ["code", "httpStatusCode", "senderFault"]


def keep(obj, keys):
    return {k: obj[k] for k in obj if k in keys}


def strip_ref(ref):
    return keep(ref, REF_KEYS)


def strip_shape(shape):
    out = keep(shape, SHAPE_KEYS)
    if "members" in out:
        out["members"] = {name: strip_ref(ref) for name, ref in out["members"].items()}
    for k in ("member", "key", "value"):
        if k in out:
            out[k] = strip_ref(out[k])
    if "error" in out:
        out["error"] = keep(out["error"], ERROR_KEYS)
    return out


def strip_operation(op):
    out = keep(op, OPERATION_KEYS)
    if "http" in out:
        out["http"] = keep(out["http"], HTTP_KEYS)
    if "endpoint" in out:
        out["endpoint"] = keep(out["endpoint"], ENDPOINT_KEYS)
    for k in ("input", "output"):
        if k in out:
            out[k] = strip_ref(out[k])
    if "errors" in out:
        out["errors"] = [strip_ref(e) for e in out["errors"]]
    return out


def strip_model(model):
    return {
        "metadata": keep(model["metadata"], METADATA_KEYS),
        "operations": {n: strip_operation(o) for n, o in model["operations"].items()},
        "shapes": {n: strip_shape(s) for n, s in model["shapes"].items()},
    }


# The AWS SDK for Java 2.x's service name, as `src/names.rs` derives it (see there for the
# source); repeated here only to name the generated tables, and checked against names.rs by the
# crate's tests.
def split_words(s):
    s = re.sub(r"[^A-Za-z0-9]+", " ", s)
    s = re.sub(r"([^a-z]{2,})v([0-9]+)", r"\1 v\2 ", s)
    s = re.sub(r"([^A-Z]{2,})V([0-9]+)", r"\1 V\2 ", s)
    s = " ".join(re.split(r"(?<=[a-z])(?=[A-Z]([a-zA-Z]|[0-9]))", s)[::2])
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    s = re.sub(r"([0-9])([a-zA-Z])", r"\1 \2", s)
    return re.sub(r" +", " ", s).strip().split(" ")


def java_service_name(service_id):
    name = "".join(w.lower()[:1].upper() + w.lower()[1:] for w in split_words(service_id))
    for prefix in ("Amazon", "Aws"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.endswith("Service"):
        name = name[: -len("Service")]
    return name


def newest_model(data, service):
    folder = os.path.join(data, service)
    if not os.path.isdir(folder):
        return None
    for version in sorted(os.listdir(folder), reverse=True):
        for name in ("service-2.json.gz", "service-2.json"):
            path = os.path.join(folder, version, name)
            if os.path.isfile(path):
                return version, path
    return None


def read_model(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def raw_string(text):
    hashes = 1
    while '"' + "#" * hashes in text:
        hashes += 1
    return "r" + "#" * hashes + '"' + text + '"' + "#" * hashes


def module_name(service):
    return service.replace("-", "_")


def main():
    if len(sys.argv) > 1:
        data = sys.argv[1]
        import_version = None
    else:
        import botocore

        data = os.path.join(os.path.dirname(botocore.__file__), "data")
        import_version = botocore.__version__
    version = import_version
    if version is None:
        # `<site-packages>/botocore/data`: the package's version is in its `__init__.py`.
        init = os.path.join(data, "..", "__init__.py")
        version = "unknown"
        if os.path.isfile(init):
            with open(init, encoding="utf-8") as f:
                m = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", f.read(), re.M)
                if m:
                    version = m.group(1)

    os.makedirs(OUT, exist_ok=True)
    builtin_rows = []
    for service in BUILTIN:
        found = newest_model(data, service)
        if found is None:
            sys.exit(f"{service}: no service-2.json under {data}")
        api_version, path = found
        stripped = strip_model(read_model(path))
        text = json.dumps(stripped, separators=(",", ":"), ensure_ascii=False)
        java = java_service_name(stripped["metadata"]["serviceId"])
        header = (
            f"// @generated by crates/aws/codegen/generate.py from botocore {version}'s "
            f"{service}/{api_version} service model. Do not edit by hand.\n"
        )
        with open(os.path.join(OUT, module_name(service) + ".rs"), "w", encoding="utf-8") as f:
            f.write(header)
            f.write("\n")
            f.write(f"pub(crate) const MODEL: &str = {raw_string(text)};\n")
        builtin_rows.append((service, java.lower(), java, api_version))

    # Every service botocore knows: its Step Functions name, folder and serviceId, for lookups'
    # messages.
    known = []
    for service in sorted(os.listdir(data)):
        found = newest_model(data, service)
        if found is None:
            continue
        service_id = read_model(found[1])["metadata"]["serviceId"]
        known.append((java_service_name(service_id).lower(), service, service_id))
    known.sort()

    lines = [
        f"// @generated by crates/aws/codegen/generate.py from botocore {version}'s service models. Do not edit by hand.",
        "",
        "//! The service models built into baton-aws, stripped to what the client reads, and the names",
        "//! of every service botocore knows.",
        "",
    ]
    for service, _, _, _ in builtin_rows:
        lines.append(f"mod {module_name(service)};")
    lines += [
        "",
        "/// One built-in model.",
        "pub(crate) struct Builtin {",
        "    /// botocore's folder name (`dynamodb`, `stepfunctions`).",
        "    pub botocore_name: &'static str,",
        "    /// The name in `arn:aws:states:::aws-sdk:<name>:<action>` (`dynamodb`, `sfn`).",
        "    pub sfn_name: &'static str,",
        "    /// The model's version folder (`2012-08-10`).",
        "    pub api_version: &'static str,",
        "    /// The stripped model's JSON.",
        "    pub json: &'static str,",
        "}",
        "",
        "/// The built-in models, by Step Functions name.",
        "pub(crate) const BUILTIN: &[Builtin] = &[",
    ]
    for service, sfn, _, api_version in sorted(builtin_rows, key=lambda r: r[1]):
        lines += [
            "    Builtin {",
            f"        botocore_name: {json.dumps(service)},",
            f"        sfn_name: {json.dumps(sfn)},",
            f"        api_version: {json.dumps(api_version)},",
            f"        json: {module_name(service)}::MODEL,",
            "    },",
        ]
    lines += [
        "];",
        "",
        f"/// Every service of botocore {version}: (Step Functions name, botocore's folder, serviceId).",
        "pub(crate) const KNOWN: &[(&str, &str, &str)] = &[",
    ]
    for sfn, service, service_id in known:
        lines.append(f"    ({json.dumps(sfn)}, {json.dumps(service)}, {json.dumps(service_id)}),")
    lines += ["];", ""]
    with open(os.path.join(OUT, "mod.rs"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    rustfmt = shutil.which("rustfmt")
    if rustfmt:
        subprocess.run(
            [rustfmt, "--edition", "2021", os.path.join(OUT, "mod.rs")], check=True
        )


if __name__ == "__main__":
    main()
