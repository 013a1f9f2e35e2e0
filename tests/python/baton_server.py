"""Starting and stopping `baton serve` as a user does: a free loopback port read from its first
line of output, `GET /health` before the first request, SIGTERM to stop."""

import json
import os
import queue
import re
import signal
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

LISTENING = re.compile(r"^baton: listening on (https?://127\.0\.0\.1:\d+)\s*$")
S3_LISTENING = re.compile(r"^baton: S3 on (https?://127\.0\.0\.1:\d+)\s*$")
START_TIMEOUT = 30.0


class StartFailed(Exception):
    pass


class StopTimedOut(Exception):
    pass


def binary():
    """The `baton` to test, from BATON_BIN, or None."""
    return os.environ.get("BATON_BIN") or None


class Server:
    """A running `baton serve`: its endpoint, its stdout lines, its stderr in a file."""

    def __init__(self, process, endpoint, lines, log_path):
        self.process = process
        self.endpoint = endpoint
        # The S3 endpoint over the same buckets (the second line it prints).
        self.s3_endpoint = None
        self.lines = lines
        self.log_path = log_path

    def log_tail(self, n=40):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stdout_lines(self):
        """What it printed after the first two lines (the endpoints), so far."""
        out = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return out
            if line is None:
                return out
            out.append(line.rstrip("\n"))

    def stop(self, timeout):
        """SIGTERM, then waits up to `timeout` seconds: returns (exit status, seconds taken).
        Past the timeout it kills the process and raises StopTimedOut."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise StopTimedOut(
                f"`baton serve` did not exit within {timeout}s of SIGTERM\n{self.log_tail()}")
        return status, time.monotonic() - began

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _pump(stream, lines):
    """Reads the server's stdout to the end, so a full pipe never blocks it."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _wait_healthy(endpoint, process, deadline, ca_file=None):
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with status {process.returncode} before answering /health"
        try:
            with urllib.request.urlopen(endpoint + "/health", timeout=1,
                                        context=context) as response:
                body = json.loads(response.read())
                if response.status == 200 and body == {"status": "ok"}:
                    return None
                last = f"/health answered {response.status} {body!r}"
        except (urllib.error.URLError, OSError, ValueError) as e:
            last = repr(e)
        time.sleep(0.05)
    return f"/health not ready in {START_TIMEOUT}s: {last}"


def start(data_dir, log_path, activity_poll_seconds=5, extra_args=(), ca_file=None):
    """Starts `baton serve` on a free port with its store in `data_dir` (and `extra_args`);
    returns once it answers /health (over HTTPS trusting `ca_file`, when given). Raises
    StartFailed with its stderr otherwise."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [binary(), "serve", "--bind", "127.0.0.1:0", "--data-dir", str(data_dir),
             "--activity-poll-seconds", str(activity_poll_seconds), *extra_args],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
            # The defaults the suite expects, whatever the shell exports.
            env={k: v for k, v in os.environ.items()
                 if k not in ("AWS_ACCOUNT_ID", "AWS_DEFAULT_REGION", "SFN_MOCK_CONFIG")},
        )
    lines = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    server = Server(process, None, lines, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        first = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        first = None
    match = LISTENING.match(first or "")
    if not match:
        server.kill()
        raise StartFailed(f"`baton serve` printed {first!r} first, expected "
                          f"'baton: listening on http://127.0.0.1:PORT'\n{server.log_tail()}")
    server.endpoint = match.group(1)
    try:
        second = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        second = None
    s3_match = S3_LISTENING.match(second or "")
    if not s3_match:
        server.kill()
        raise StartFailed(f"`baton serve` printed {second!r} second, expected "
                          f"'baton: S3 on http://127.0.0.1:PORT'\n{server.log_tail()}")
    server.s3_endpoint = s3_match.group(1)
    problem = _wait_healthy(server.endpoint, process, deadline, ca_file)
    if problem:
        server.kill()
        raise StartFailed(f"`baton serve` at {server.endpoint}: {problem}\n{server.log_tail()}")
    return server
