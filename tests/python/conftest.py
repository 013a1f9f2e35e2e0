"""The `baton serve` the suite talks to, and the clients it talks with.

One server for the whole session, on a free loopback port, with its store in a temporary
folder: `BATON_BIN` names the binary (`crates/cli/tests/python_clients.rs` sets it). At the end
the server gets SIGTERM and must exit 0 within 10 seconds: graceful shutdown is part of what
is tested.

Clients act in account 111111111111: the server reads the account from the SigV4 credential
scope when the access key id is 12 digits.
"""

import json
import os
import re
import subprocess
import sys

import pytest

import baton_server
from support import ACCOUNT, REGION, make_client

STOP_TIMEOUT = 10.0

# The server of this session, for failure reports.
_RUNNING = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with what the server wrote to stderr."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _RUNNING:
        report.sections.append(("baton serve stderr (last lines)", _RUNNING[0].log_tail()))


def pytest_sessionstart(session):
    if not baton_server.binary():
        pytest.exit("BATON_BIN is not set: run this suite through `cargo test -p baton-cli "
                    "--test python_clients`, or set it to a built `baton`", returncode=2)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("baton-data")
    log_path = tmp_path_factory.mktemp("baton-log") / "stderr.log"
    try:
        running = baton_server.start(data_dir, log_path, activity_poll_seconds=5)
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    _RUNNING.append(running)
    yield running
    _RUNNING.remove(running)
    try:
        status, _ = running.stop(STOP_TIMEOUT)
    except baton_server.StopTimedOut as e:
        pytest.fail(str(e))
    assert status == 0, (f"`baton serve` exited with status {status} after SIGTERM\n"
                         f"{running.log_tail()}")


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


@pytest.fixture(scope="session")
def s3_endpoint(server):
    """The server's S3-compatible endpoint over its buckets."""
    return server.s3_endpoint


@pytest.fixture(scope="session")
def sfn(endpoint):
    return make_client(endpoint)


@pytest.fixture(scope="session")
def client_factory(endpoint):
    """Makes more clients: one per worker thread, or for another account."""
    return lambda account=ACCOUNT: make_client(endpoint, account)


class AwsCliError(Exception):
    def __init__(self, code, message, stderr):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.stderr = stderr


# "An error occurred (Code) when calling the Op operation[ (reached max retries: 0)]: message"
CLI_ERROR = re.compile(r"An error occurred \(([^)]+)\) when calling the \w+ operation"
                       r"(?: \([^)]*\))?: (.*)", re.DOTALL)


class AwsCli:
    """The AWS CLI (v1, `python3 -m awscli`) against the server: `aws("stepfunctions", ...)`
    returns the parsed JSON output; `aws.error(...)` runs a command that must fail and returns
    its error code and message."""

    def __init__(self, endpoint, config_dir):
        self.endpoint = endpoint
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") or k == "AWS_CA_BUNDLE"}
        env.update({
            "AWS_ACCESS_KEY_ID": ACCOUNT,
            "AWS_SECRET_ACCESS_KEY": "baton-test-secret",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Nothing from the user's own configuration.
            "AWS_CONFIG_FILE": str(config_dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "credentials"),
        })
        self.env = env

    def _run(self, args):
        command = [sys.executable, "-m", "awscli", *args,
                   "--endpoint-url", self.endpoint, "--output", "json"]
        return subprocess.run(command, env=self.env, capture_output=True, text=True,
                              timeout=60)

    def __call__(self, *args):
        done = self._run(args)
        if done.returncode != 0:
            match = CLI_ERROR.search(done.stderr)
            code = match.group(1) if match else None
            raise AwsCliError(code, match.group(2).strip() if match else done.stderr,
                              done.stderr)
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def error(self, *args):
        """Runs a command that must fail with an API error: (code, message)."""
        done = self._run(args)
        assert done.returncode != 0, f"`aws {' '.join(args)}` succeeded: {done.stdout}"
        match = CLI_ERROR.search(done.stderr)
        assert match, f"`aws {' '.join(args)}` failed without an API error: {done.stderr}"
        return match.group(1), match.group(2).strip()


@pytest.fixture(scope="session")
def aws(endpoint, tmp_path_factory):
    return AwsCli(endpoint, tmp_path_factory.mktemp("aws-config"))
