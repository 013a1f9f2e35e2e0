"""The seed's calculator (src/index.ts) in Python with boto3: reads x from the input object
named by INPUT_S3_BUCKET / INPUT_S3_KEY, computes f(x) = x^2 + x, writes the result to
OUTPUT_S3_BUCKET / OUTPUT_S3_KEY. Exits 0 on success, 1 on any error (which the state
machine retries).

Like the seed's `new S3Client({})`, the client takes everything from its environment: on AWS
the region and the task role's credentials; under Baton also AWS_ENDPOINT_URL_S3.
"""
import json
import os
import sys
from datetime import datetime, timezone

import boto3

s3_client = boto3.client("s3")


def calculate_and_store():
    print("Calculator function started.")

    # These values are passed as environment variables to the task (container overrides).
    input_bucket = os.environ.get("INPUT_S3_BUCKET")
    input_key = os.environ.get("INPUT_S3_KEY")
    output_bucket = os.environ.get("OUTPUT_S3_BUCKET")
    output_key = os.environ.get("OUTPUT_S3_KEY")

    if not (input_bucket and input_key and output_bucket and output_key):
        print("Critical error: Missing S3 configuration environment variables!", file=sys.stderr)
        raise RuntimeError("Missing S3 configuration environment variables!")

    print(f"Input: s3://{input_bucket}/{input_key}")
    print(f"Output: s3://{output_bucket}/{output_key}")

    # 1. Get the input file from S3
    print("Fetching input from S3...")
    s3_object = s3_client.get_object(Bucket=input_bucket, Key=input_key)
    body_contents = s3_object["Body"].read().decode("utf-8")
    input_data = json.loads(body_contents)
    x = input_data.get("x")

    # bool is an int in Python; the seed's `typeof x !== 'number'` refuses it too.
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        raise ValueError(f"Input 'x' is not a number or is missing. Received: {x}")
    print(f"Received x = {x}")

    # 2. Do the math: f(x) = x^2 + x
    result = (x * x) + x
    print(f"Calculation: f({x}) = {x}^2 + {x} = {result}")

    # 3. Prepare the output data
    output_data = {
        "input_x": x,
        "function_expression": "f(x) = x^2 + x",
        "result_fx": result,
        "calculatedAt": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    }

    # 4. Write the output file to S3
    print("Writing output to S3...")
    s3_client.put_object(
        Bucket=output_bucket,
        Key=output_key,
        Body=json.dumps(output_data, indent=2),
        ContentType="application/json",
    )
    print("Successfully processed and stored the result!")


if __name__ == "__main__":
    try:
        calculate_and_store()
    except Exception as err:  # the seed's .catch(): any error fails this attempt
        print(f"Function execution failed. Exiting with code 1. {err!r}", file=sys.stderr)
        sys.exit(1)
    print("Function execution completed successfully. Exiting with code 0.")
    sys.exit(0)
