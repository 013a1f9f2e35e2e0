#!/usr/bin/env python3
"""Writes the output shapes of AWS service APIs that TestState checks mocked results against.

Reads botocore's service models (Apache-2.0) and keeps, for every operation, only what mock
validation needs: structure members and required members, list members, map values, and the
type, enum and min/max of scalars. Documentation, input shapes and protocol details are left
out. Scalars without constraints are written as `#type` instead of a named shape.

Usage: generate.py [BOTOCORE_DATA_DIR]   (default: the data folder of the installed botocore)
"""
import gzip
import json
import os
import sys

SERVICES = [
    "athena", "batch", "bedrock-runtime", "codebuild", "dynamodb", "ecs", "eks", "emr",
    "emr-containers", "emr-serverless", "events", "kms", "lambda", "s3", "secretsmanager",
    "sns", "sqs", "stepfunctions",
]
SCALARS = {"string", "integer", "long", "float", "double", "boolean", "timestamp", "blob"}


def data_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    import botocore
    return os.path.join(os.path.dirname(botocore.__file__), "data")


def load(root, service):
    folder = os.path.join(root, service)
    version = sorted(os.listdir(folder))[-1]
    path = os.path.join(folder, version, "service-2.json")
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz") as f:
            return json.load(f)
    with open(path) as f:
        return json.load(f)


def compact(model):
    shapes = model["shapes"]
    out = {}

    def ref(name):
        s = shapes[name]
        if s.get("document"):
            return "#document"
        if s["type"] in SCALARS and not any(k in s for k in ("min", "max", "enum")):
            return "#" + s["type"]
        visit(name)
        return name

    def visit(name):
        if name in out:
            return
        s = shapes[name]
        c = {}
        out[name] = c
        if s["type"] == "structure":
            c["s"] = {k: ref(v["shape"]) for k, v in s["members"].items()}
            if s.get("required"):
                c["r"] = s["required"]
        elif s["type"] == "list":
            c["l"] = ref(s["member"]["shape"])
        elif s["type"] == "map":
            c["m"] = ref(s["value"]["shape"])
        else:
            c["t"] = s["type"]
            for k in ("min", "max", "enum"):
                if k in s:
                    c[k] = s[k]

    ops = {}
    for name, op in sorted(model["operations"].items()):
        if "output" in op:
            ops[name] = ref(op["output"]["shape"])
    return ops, out


def main():
    root = data_dir()
    here = os.path.dirname(os.path.abspath(__file__))
    for service in SERVICES:
        ops, shapes = compact(load(root, service))
        lines = ['{"ops":' + json.dumps(ops, separators=(",", ":")) + ",", '"shapes":{']
        items = sorted(shapes.items())
        for i, (k, v) in enumerate(items):
            sep = "," if i < len(items) - 1 else ""
            lines.append(json.dumps(k) + ":" + json.dumps(v, separators=(",", ":")) + sep)
        lines.append("}}")
        with open(os.path.join(here, service + ".json"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
