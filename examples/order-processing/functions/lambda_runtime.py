"""A tiny stand-in for the Lambda Python runtime: `python3 lambda_runtime.py MODULE` reads the
event on stdin, calls MODULE.handler(event, context) and prints the result as JSON. An exception
becomes Lambda's error shape on stdout, with the exception's class name as errorType (what
Retry and Catch match), and exit status 1."""
import importlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    module = importlib.import_module(sys.argv[1])
    event = json.load(sys.stdin)
    try:
        result = module.handler(event, None)
    except Exception as e:  # noqa: BLE001 - every error goes back to the workflow
        print(json.dumps({
            "errorMessage": str(e),
            "errorType": type(e).__name__,
            "stackTrace": traceback.format_tb(e.__traceback__),
        }))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
