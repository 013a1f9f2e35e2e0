# Baton's Python runtime for Lambda handlers: imports the handler named by _HANDLER from
# LAMBDA_TASK_ROOT, then takes invocations from Lambda's Runtime API (AWS_LAMBDA_RUNTIME_API)
# one at a time until it is stopped. Standard library only.
#
# What it imitates, and where that is written down:
# * the handler string (`module.function`, the function after the last dot), the init errors and
#   their wording (`Runtime.ImportModuleError` "Unable to import module 'm': ...",
#   `Runtime.HandlerNotFound` "Handler 'f' missing on module 'm'", `Runtime.UserCodeSyntaxError`,
#   `Runtime.MalformedHandlerName`), an error's shape
#   `{errorMessage, errorType: type(e).__name__, requestId, stackTrace}`:
#   aws-lambda-python-runtime-interface-client, awslambdaric/bootstrap.py;
# * the context object: awslambdaric/lambda_context.py and the Lambda developer guide, "Using
#   the Lambda context object to retrieve Python function information";
# * `logging` lines `[LEVEL]\t<time>Z\t<requestId>\t<message>`: awslambdaric/bootstrap.py.
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
ROOT = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
HANDLER = os.environ.get("_HANDLER", "")
BASE = "/2018-06-01/runtime"
# Written after an invocation's output and before its result: Baton files the lines before it
# under that invocation's request id.
END = "\x1ebaton-end:"

_request_id = ""


class _RuntimeApi:
    """The Runtime API over one kept-alive connection, HTTP/1.1 written by hand: the result of
    an invocation and the request for the next one go out together (pipelined, one write) and
    the answers come back in order. Baton's Runtime API always answers with a Content-Length."""

    def __init__(self):
        self.sock = None
        self.reader = None

    def send(self, *requests):
        if self.sock is None:
            host, port = API.rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reader = self.sock.makefile("rb")
        self.sock.sendall(b"".join(requests))

    def read(self):
        line = self.reader.readline() if self.reader else b""
        if not line:
            self.close()
            raise ConnectionError("the Runtime API closed the connection")
        status = int(line.split()[1])
        headers = {}
        while True:
            header = self.reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = self.reader.read(length) if length else b""
        return status, headers, body

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.reader = None


_api = _RuntimeApi()
_NEXT = ("GET " + BASE + "/invocation/next HTTP/1.1\r\nHost: " + API + "\r\n\r\n").encode()


def _post_request(path, payload, error_type=None):
    body = payload.encode() if isinstance(payload, str) else payload
    head = "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n".format(
        path, API, len(body)
    )
    # Every result follows an end mark (see `_end`).
    head += "Baton-End-Mark: 1\r\n"
    if error_type:
        head += "Lambda-Runtime-Function-Error-Type: {}\r\n".format(error_type)
    return (head + "\r\n").encode("latin-1") + body


def _next():
    """The next invocation, asked for again on a new connection if the old one was closed."""
    try:
        return _api.read()
    except (ConnectionError, OSError):
        _api.close()
        _api.send(_NEXT)
        return _api.read()


class _Fault(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def _make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def _load_handler():
    try:
        module_name, function_name = HANDLER.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(HANDLER, e))
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise _Fault(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module {} as a handler module".format(module_name),
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise _Fault(
            "Runtime.ImportModuleError",
            "Unable to import module '{}': {}".format(module_name, e),
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '{}': {}".format(module_name, e),
            trace,
        )
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise _Fault(
            "Runtime.HandlerNotFound",
            "Handler '{}' missing on module '{}'".format(function_name, module_name),
        )


class LambdaContext:
    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(round(time.time() * 1000)), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


def _setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _traceback(tb):
    frames = traceback.extract_tb(tb)
    # The frames of this file are the runtime's, not the function's.
    while frames and frames[0].filename == __file__:
        frames = frames[1:]
    return traceback.format_list(frames)


def _end(request_id):
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, (END + request_id + "\n").encode())


def _json_header(headers, name):
    value = headers.get(name)
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def main():
    global _request_id
    sys.path.insert(0, ROOT)
    _setup_logging()
    try:
        handler = _load_handler()
    except Exception as e:
        if isinstance(e, _Fault):
            error = _make_error(e.message, e.error_type, e.trace)
        else:
            error = _make_error(str(e), type(e).__name__, _traceback(sys.exc_info()[2]))
        print("[ERROR] {}: {}".format(error["errorType"], error["errorMessage"]), flush=True)
        _api.send(_post_request(BASE + "/init/error", json.dumps(error), error["errorType"]))
        _api.read()
        sys.exit(1)
    _api.send(_NEXT)
    while True:
        status, headers, body = _next()
        if status != 200:
            sys.stderr.write("Runtime API: {} {!r}\n".format(status, body))
            sys.exit(1)
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        _request_id = request_id
        error = None
        try:
            context = LambdaContext(
                request_id,
                int(headers.get("lambda-runtime-deadline-ms", "0")),
                headers.get("lambda-runtime-invoked-function-arn"),
                _json_header(headers, "lambda-runtime-client-context"),
                _json_header(headers, "lambda-runtime-cognito-identity"),
            )
            event = json.loads(body) if body else None
            result = handler(event, context)
            try:
                payload = json.dumps(result)
            except (TypeError, ValueError) as e:
                error = _make_error(
                    "Unable to marshal response: {}".format(e),
                    "Runtime.MarshalError",
                    None,
                    request_id,
                )
        except Exception as e:
            error = _make_error(
                str(e), type(e).__name__, _traceback(sys.exc_info()[2]), request_id
            )
        if error is not None:
            print(
                "[ERROR] {}: {}".format(error["errorType"], error["errorMessage"]),
                flush=True,
            )
            _end(request_id)
            result = _post_request(
                BASE + "/invocation/" + request_id + "/error",
                json.dumps(error),
                error["errorType"],
            )
        else:
            _end(request_id)
            result = _post_request(BASE + "/invocation/" + request_id + "/response", payload)
        # The result and the request for the next invocation, in one write; the result's
        # answer comes first.
        try:
            _api.send(result, _NEXT)
            _api.read()
        except (ConnectionError, OSError):
            _api.close()
            _api.send(_NEXT)


if __name__ == "__main__":
    main()
