"""EventBridge API destinations and connections through boto3's `events` client: connections
(API key, Basic, OAuth client credentials) and API destinations created, described without
their secrets, listed, updated and deleted; rules whose targets are API destinations call a
real HTTP server on loopback with the destination's method, the endpoint's path wildcards
filled, the target's and the connection's headers and query parameters, the connection's
authorization and the event (or its transformation) as the body; 429 and 5xx answers are
retried, other 4xx are not; OAuth tokens are fetched once and fetched again after a 401; calls
are spaced by the destination's rate; and a destination outside `[http] allow` is never
called.

The server is one of this module's own, with a `baton.toml` whose `[http] allow` lists the
webhook's port only."""

import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config

import baton_server
from support import ACCOUNT, REGION, ROLE_ARN, unique


class Recorder:
    """A loopback HTTP server that records each request and answers as `answers` says for its
    path: a list of (status, body) used in turn (the last one repeated), else 200."""

    def __init__(self):
        self.requests = []
        self.answers = {}
        self.changed = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                entry = {
                    "method": self.command,
                    "path": urllib.parse.unquote(url.path),
                    "query": urllib.parse.parse_qs(url.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "received": time.monotonic(),
                }
                status, answer, extra = recorder.answer(entry)
                with recorder.changed:
                    recorder.requests.append(entry)
                    recorder.changed.notify_all()
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = handle_any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, entry):
        script = self.answers.get(entry["path"])
        if callable(script):
            return script(entry)
        if not script:
            return 200, {"ok": True}, {}
        status, body = script.pop(0) if len(script) > 1 else script[0]
        return status, body, {}

    def at(self, path):
        with self.changed:
            return [r for r in self.requests if r["path"] == path]

    def wait(self, path, count=1, timeout=15.0):
        """The requests to `path`, once there are `count` of them (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                seen = [r for r in self.requests if r["path"] == path]
                if len(seen) >= count:
                    return seen
                left = deadline - time.monotonic()
                assert left > 0, f"{len(seen)} of {count} requests to {path}: {self.requests}"
                self.changed.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def webhook():
    recorder = Recorder()
    yield recorder
    recorder.close()


@pytest.fixture(scope="module")
def outside():
    """A server the configuration does not allow."""
    recorder = Recorder()
    yield recorder
    recorder.close()


@pytest.fixture(scope="module")
def allowed_server(tmp_path_factory, webhook):
    folder = tmp_path_factory.mktemp("destinations")
    (folder / "baton.toml").write_text(f'[http]\nallow = ["{webhook.base}/"]\n')
    data = tmp_path_factory.mktemp("destinations-data")
    log = tmp_path_factory.mktemp("destinations-log") / "stderr.log"
    try:
        running = baton_server.start(data, log,
                                     extra_args=("--config", str(folder / "baton.toml")))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    yield running
    running.stop(10.0)


@pytest.fixture(scope="module")
def events(allowed_server):
    session = boto3.session.Session(aws_access_key_id=ACCOUNT,
                                    aws_secret_access_key="baton-test-secret",
                                    region_name=REGION)
    return session.client("events", endpoint_url=allowed_server.endpoint,
                          config=Config(retries={"max_attempts": 1}))


def error_of(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def api_key_connection(events, name=None, **auth):
    name = name or unique("conn")
    out = events.create_connection(
        Name=name, AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                 "ApiKeyValue": "key-123"}, **auth})
    return name, out["ConnectionArn"]


def route(events, destination_arn, source, **target):
    """A rule sending events of `source` to the destination (target `target` members added)."""
    rule = unique("to-hook")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "hook", "Arn": destination_arn, "RoleArn": ROLE_ARN, **target}])
    assert out["FailedEntryCount"] == 0, out
    return rule


def put(events, source, detail):
    out = events.put_events(Entries=[{"Source": source, "DetailType": "Order Placed",
                                      "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0, out
    return out["Entries"][0]["EventId"]


def test_an_api_key_destination_gets_the_event_with_every_parameter(events, webhook):
    conn, conn_arn = api_key_connection(events, InvocationHttpParameters={
        "HeaderParameters": [{"Key": "X-Team", "Value": "from-connection", "IsValueSecret": False},
                             {"Key": "X-Token", "Value": "hidden-token", "IsValueSecret": True}],
        "QueryStringParameters": [{"Key": "tenant", "Value": "t-9", "IsValueSecret": False}],
        "BodyParameters": [{"Key": "added", "Value": "by-connection", "IsValueSecret": True}],
    })
    assert conn_arn.startswith(f"arn:aws:events:{REGION}:{ACCOUNT}:connection/{conn}/")
    name = unique("orders")
    made = events.create_api_destination(
        Name=name, ConnectionArn=conn_arn, HttpMethod="POST", InvocationRateLimitPerSecond=50,
        InvocationEndpoint=f"{webhook.base}/orders/*/items/*")
    assert made["ApiDestinationArn"].startswith(
        f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/{name}/")
    assert made["ApiDestinationState"] == "ACTIVE"
    source = unique("shop")
    route(events, made["ApiDestinationArn"], source, HttpParameters={
        "PathParameterValues": ["o-1", "a b"],
        "HeaderParameters": {"X-Rule": "r-1", "X-Team": "from-target"},
        "QueryStringParameters": {"channel": "web", "tenant": "from-target"},
    })
    event_id = put(events, source, {"order": "o-1", "total": 250})

    [call] = webhook.wait("/orders/o-1/items/a b")
    assert call["method"] == "POST"
    headers = call["headers"]
    assert headers["x-api-key"] == "key-123"
    assert headers["x-rule"] == "r-1"
    # The connection's value wins over the target's.
    assert headers["x-team"] == "from-connection"
    assert headers["x-token"] == "hidden-token"
    assert headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    assert headers["content-type"].startswith("application/json")
    assert call["query"] == {"channel": ["web"], "tenant": ["t-9"]}
    body = json.loads(call["body"])
    assert body["id"] == event_id and body["source"] == source
    assert body["detail"] == {"order": "o-1", "total": 250}
    assert body["added"] == "by-connection"


def test_basic_authorization_and_an_input_transformer(events, webhook):
    conn = unique("basic")
    arn = events.create_connection(
        Name=conn, AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "baton", "Password": "s3cret pw"}},
    )["ConnectionArn"]
    dest = events.create_api_destination(
        Name=unique("basic-dest"), ConnectionArn=arn, HttpMethod="PUT",
        InvocationEndpoint=f"{webhook.base}/basic")["ApiDestinationArn"]
    source = unique("shop")
    route(events, dest, source, InputTransformer={
        "InputPathsMap": {"order": "$.detail.order"},
        "InputTemplate": '{"order": <order>, "text": "order <order> placed"}'})
    put(events, source, {"order": "o-7"})
    [call] = webhook.wait("/basic")
    assert call["method"] == "PUT"
    expected = base64.b64encode(b"baton:s3cret pw").decode()
    assert call["headers"]["authorization"] == f"Basic {expected}"
    assert json.loads(call["body"]) == {"order": "o-7", "text": "order o-7 placed"}


def test_oauth_client_credentials_fetch_a_token_once_and_again_after_a_401(events, webhook):
    issued = []

    def token(entry):
        issued.append(entry)
        return 200, {"access_token": f"tok-{len(issued)}", "token_type": "Bearer",
                     "expires_in": 3600}, {}

    def protected(entry):
        # The first token is refused once it was used once: the second is fetched.
        if entry["headers"].get("authorization") == "Bearer tok-1" and \
                len(webhook.at("/protected")) >= 1:
            return 401, {"message": "expired"}, {}
        return 200, {"ok": True}, {}

    webhook.answers["/oauth/token"] = token
    webhook.answers["/protected"] = protected
    conn = unique("oauth")
    arn = events.create_connection(
        Name=conn, AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": f"{webhook.base}/oauth/token",
            "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "client-1", "ClientSecret": "client-secret"},
            "OAuthHttpParameters": {
                "BodyParameters": [{"Key": "audience", "Value": "api://orders",
                                    "IsValueSecret": True}],
                "HeaderParameters": [{"Key": "X-Tenant", "Value": "t-1",
                                      "IsValueSecret": False}],
            },
        }})
    assert arn["ConnectionState"] == "AUTHORIZED"
    dest = events.create_api_destination(
        Name=unique("oauth-dest"), ConnectionArn=arn["ConnectionArn"], HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/protected")["ApiDestinationArn"]
    source = unique("shop")
    route(events, dest, source)
    put(events, source, {"n": 1})
    first = webhook.wait("/protected", 1)
    assert first[0]["headers"]["authorization"] == "Bearer tok-1"
    assert len(issued) == 1
    grant = issued[0]
    assert grant["method"] == "POST"
    client = base64.b64encode(b"client-1:client-secret").decode()
    assert grant["headers"]["authorization"] == f"Basic {client}"
    assert grant["headers"]["x-tenant"] == "t-1"
    assert grant["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(grant["body"].decode()) == {
        "grant_type": ["client_credentials"], "audience": ["api://orders"]}

    # The next event is refused with tok-1 (401): a new token is fetched and the call retried.
    put(events, source, {"n": 2})
    calls = webhook.wait("/protected", 3, timeout=20)
    assert [c["headers"]["authorization"] for c in calls] == [
        "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert json.loads(calls[2]["body"])["detail"] == {"n": 2}
    assert len(issued) == 2


def test_server_errors_are_retried_and_client_errors_are_not(events, webhook):
    _, conn = api_key_connection(events)
    webhook.answers["/flaky"] = [(503, {"busy": True}), (200, {"ok": True})]
    webhook.answers["/refusing"] = [(400, {"bad": True})]
    flaky = events.create_api_destination(
        Name=unique("flaky"), ConnectionArn=conn, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/flaky")["ApiDestinationArn"]
    refusing = events.create_api_destination(
        Name=unique("refusing"), ConnectionArn=conn, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/refusing")["ApiDestinationArn"]
    source = unique("shop")
    rule = unique("both")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "flaky", "Arn": flaky},
                                           {"Id": "refusing", "Arn": refusing}])
    put(events, source, {"n": 1})
    assert len(webhook.wait("/flaky", 2)) == 2
    # The 400 was answered at once; a retry would have come a second later.
    time.sleep(2.5)
    assert len(webhook.at("/refusing")) == 1
    assert len(webhook.at("/flaky")) == 2


def test_calls_are_spaced_by_the_destinations_rate(events, webhook):
    _, conn = api_key_connection(events)
    dest = events.create_api_destination(
        Name=unique("slow"), ConnectionArn=conn, HttpMethod="POST",
        InvocationRateLimitPerSecond=2, InvocationEndpoint=f"{webhook.base}/paced")
    source = unique("shop")
    route(events, dest["ApiDestinationArn"], source)
    events.put_events(Entries=[{"Source": source, "DetailType": "t",
                                "Detail": json.dumps({"n": i})} for i in range(4)])
    calls = webhook.wait("/paced", 4, timeout=20)
    stamps = sorted(c["received"] for c in calls)
    # 4 calls at 2 a second: half a second apart, 1.5 s from the first to the last.
    assert stamps[-1] - stamps[0] >= 1.3, stamps
    assert sorted(json.loads(c["body"])["detail"]["n"] for c in calls) == [0, 1, 2, 3]


def state_of(events, name, want, timeout=15.0):
    """The connection's state once it is `want` (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        state = events.describe_connection(Name=name)["ConnectionState"]
        if state == want or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def routed(events, connection_arn, endpoint):
    """A source whose events a rule sends to a new destination at `endpoint` (POST)."""
    dest = events.create_api_destination(
        Name=unique("dest"), ConnectionArn=connection_arn, HttpMethod="POST",
        InvocationEndpoint=endpoint)["ApiDestinationArn"]
    source = unique("shop")
    route(events, dest, source)
    return source


def test_a_deauthorized_connection_calls_nothing_until_it_is_updated(events, webhook):
    conn, conn_arn = api_key_connection(events)
    source = routed(events, conn_arn, f"{webhook.base}/deauth")
    put(events, source, {"n": 1})
    webhook.wait("/deauth", 1)

    out = events.deauthorize_connection(Name=conn)
    assert out["ConnectionArn"] == conn_arn
    assert out["ConnectionState"] == "DEAUTHORIZING"
    described = events.describe_connection(Name=conn)
    assert described["ConnectionState"] == "DEAUTHORIZED"
    # Its authorization parameters are gone.
    assert described.get("AuthParameters", {}) == {}
    assert [c["ConnectionState"] for c in events.list_connections(
        NamePrefix=conn)["Connections"]] == ["DEAUTHORIZED"]
    put(events, source, {"n": 2})
    time.sleep(2.5)
    assert len(webhook.at("/deauth")) == 1

    # Given credentials again, it is authorized and used with them.
    code, _ = error_of(lambda: events.update_connection(Name=conn, Description="no keys"))
    assert code == "ValidationException"
    events.update_connection(Name=conn, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-456"}})
    assert events.describe_connection(Name=conn)["ConnectionState"] == "AUTHORIZED"
    put(events, source, {"n": 3})
    calls = webhook.wait("/deauth", 2)
    assert calls[1]["headers"]["x-api-key"] == "key-456"
    assert json.loads(calls[1]["body"])["detail"] == {"n": 3}
    code, _ = error_of(lambda: events.deauthorize_connection(Name=unique("missing")))
    assert code == "ResourceNotFoundException"


def test_refused_credentials_deauthorize_the_connection(events, webhook):
    # An API key the endpoint answers 401: the connection is de-authorized, so the retry
    # that a 401 gets finds it so and calls no more.
    conn, conn_arn = api_key_connection(events)
    webhook.answers["/refuses-key"] = [(401, {"message": "unknown key"})]
    source = routed(events, conn_arn, f"{webhook.base}/refuses-key")
    put(events, source, {"n": 1})
    webhook.wait("/refuses-key", 1)
    assert state_of(events, conn, "DEAUTHORIZED") == "DEAUTHORIZED"
    time.sleep(2.5)
    assert len(webhook.at("/refuses-key")) == 1

    # An OAuth connection whose token endpoint refuses its client: de-authorized, and the
    # destination is never called.
    webhook.answers["/oauth/refuses"] = [(400, {"error": "invalid_client"})]
    oauth = unique("oauth-refused")
    oauth_arn = events.create_connection(
        Name=oauth, AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": f"{webhook.base}/oauth/refuses", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "c", "ClientSecret": "wrong"}}})["ConnectionArn"]
    source = routed(events, oauth_arn, f"{webhook.base}/never")
    put(events, source, {"n": 1})
    webhook.wait("/oauth/refuses", 1)
    assert state_of(events, oauth, "DEAUTHORIZED") == "DEAUTHORIZED"
    assert webhook.at("/never") == []

    # A server error is not the credentials' fault: the connection stays authorized.
    conn, conn_arn = api_key_connection(events)
    webhook.answers["/busy"] = [(503, {"busy": True}), (200, {"ok": True})]
    source = routed(events, conn_arn, f"{webhook.base}/busy")
    put(events, source, {"n": 1})
    webhook.wait("/busy", 2)
    assert events.describe_connection(Name=conn)["ConnectionState"] == "AUTHORIZED"


def test_describe_and_list_hide_the_secrets(events, webhook):
    conn, arn = api_key_connection(events, InvocationHttpParameters={
        "HeaderParameters": [{"Key": "X-Shown", "Value": "visible", "IsValueSecret": False},
                             {"Key": "X-Secret", "Value": "do-not-show", "IsValueSecret": True}],
    })
    described = events.describe_connection(Name=conn)
    assert described["ConnectionArn"] == arn
    assert described["AuthorizationType"] == "API_KEY"
    assert described["ConnectionState"] == "AUTHORIZED"
    auth = described["AuthParameters"]
    assert auth["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    headers = auth["InvocationHttpParameters"]["HeaderParameters"]
    assert headers == [{"Key": "X-Shown", "Value": "visible", "IsValueSecret": False},
                       {"Key": "X-Secret", "IsValueSecret": True}]
    assert "key-123" not in json.dumps(described, default=str)
    assert "do-not-show" not in json.dumps(described, default=str)

    basic = unique("basic")
    events.create_connection(Name=basic, AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": "very-secret"}})
    shown = events.describe_connection(Name=basic)
    assert shown["AuthParameters"]["BasicAuthParameters"] == {"Username": "u"}
    oauth = unique("oauth")
    events.create_connection(Name=oauth, AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
                             AuthParameters={"OAuthParameters": {
                                 "AuthorizationEndpoint": f"{webhook.base}/oauth/token",
                                 "HttpMethod": "GET",
                                 "ClientParameters": {"ClientID": "id",
                                                      "ClientSecret": "oauth-secret"}}})
    shown = events.describe_connection(Name=oauth)["AuthParameters"]["OAuthParameters"]
    assert shown["ClientParameters"] == {"ClientID": "id"}
    assert shown["HttpMethod"] == "GET"
    assert "oauth-secret" not in json.dumps(shown)

    listed = events.list_connections(NamePrefix=conn)["Connections"]
    assert [c["Name"] for c in listed] == [conn]
    assert "AuthParameters" not in listed[0]
    authorized = events.list_connections(ConnectionState="AUTHORIZED")["Connections"]
    assert {conn, basic, oauth} <= {c["Name"] for c in authorized}

    # Updated: the new password is used, the old one never shown.
    events.update_connection(Name=basic, AuthParameters={
        "BasicAuthParameters": {"Password": "newer-secret"}})
    assert events.describe_connection(Name=basic)["AuthParameters"]["BasicAuthParameters"] == {
        "Username": "u"}

    dest = unique("d")
    d_arn = events.create_api_destination(
        Name=dest, ConnectionArn=arn, HttpMethod="POST", Description="first",
        InvocationEndpoint=f"{webhook.base}/x")["ApiDestinationArn"]
    d = events.describe_api_destination(Name=dest)
    assert d["ApiDestinationArn"] == d_arn and d["ConnectionArn"] == arn
    assert d["InvocationRateLimitPerSecond"] == 300 and d["Description"] == "first"
    by_connection = events.list_api_destinations(ConnectionArn=arn)["ApiDestinations"]
    assert [x["Name"] for x in by_connection] == [dest]
    events.update_api_destination(Name=dest, HttpMethod="PATCH",
                                  InvocationRateLimitPerSecond=5)
    d = events.describe_api_destination(Name=dest)
    assert d["HttpMethod"] == "PATCH" and d["InvocationRateLimitPerSecond"] == 5
    assert d["InvocationEndpoint"] == f"{webhook.base}/x"

    events.delete_api_destination(Name=dest)
    code, _ = error_of(lambda: events.describe_api_destination(Name=dest))
    assert code == "ResourceNotFoundException"
    deleted = events.delete_connection(Name=basic)
    assert deleted["ConnectionState"] == "DELETING"
    code, _ = error_of(lambda: events.describe_connection(Name=basic))
    assert code == "ResourceNotFoundException"


def test_what_eventbridge_refuses_is_refused(events, webhook):
    conn, arn = api_key_connection(events)
    code, _ = error_of(lambda: api_key_connection(events, name=conn))
    assert code == "ResourceAlreadyExistsException"
    missing = arn.replace(f"connection/{conn}/", "connection/nobody/")
    code, message = error_of(lambda: events.create_api_destination(
        Name=unique("d"), ConnectionArn=missing, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/x"))
    assert code == "ResourceNotFoundException" and "nobody" in message
    # The connection's name with another UUID is another connection.
    other = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    code, _ = error_of(lambda: events.create_api_destination(
        Name=unique("d"), ConnectionArn=other, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/x"))
    assert code == "ResourceNotFoundException"
    code, message = error_of(lambda: events.create_api_destination(
        Name=unique("d"), ConnectionArn=arn, HttpMethod="TRACE",
        InvocationEndpoint=f"{webhook.base}/x"))
    assert code == "ValidationException" and "enum value set" in message
    code, _ = error_of(lambda: events.create_api_destination(
        Name=unique("d"), ConnectionArn=arn, HttpMethod="POST",
        InvocationEndpoint="http://user:pw@127.0.0.1/x"))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.create_connection(
        Name=unique("c"), AuthorizationType="DIGEST",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}}))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.create_connection(
        Name=unique("c"), AuthorizationType="BASIC",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.create_connection(
        Name=unique("c"), AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": f"{webhook.base}/t", "HttpMethod": "PATCH",
            "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}}))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.create_connection(
        Name="bad name!", AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}}))
    assert code == "ValidationException"
    code, _ = error_of(lambda: events.describe_connection(Name=unique("none")))
    assert code == "ResourceNotFoundException"
    code, _ = error_of(lambda: events.delete_api_destination(Name=unique("none")))
    assert code == "ResourceNotFoundException"
    # A target may not set the headers that frame the request.
    dest = events.create_api_destination(
        Name=unique("d"), ConnectionArn=arn, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/x")["ApiDestinationArn"]
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["never"]}))
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "t", "Arn": dest, "HttpParameters": {"HeaderParameters": {"Host": "other"}}}])
    assert out["FailedEntryCount"] == 1


def test_a_destination_outside_the_allow_list_is_never_called(events, webhook, outside):
    _, conn = api_key_connection(events)
    allowed = events.create_api_destination(
        Name=unique("inside"), ConnectionArn=conn, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/inside")["ApiDestinationArn"]
    forbidden = events.create_api_destination(
        Name=unique("outside"), ConnectionArn=conn, HttpMethod="POST",
        InvocationEndpoint=f"{outside.base}/outside")["ApiDestinationArn"]
    # An OAuth connection whose token endpoint is outside: the destination inside is not
    # called either, since no token can be had.
    oauth = events.create_connection(
        Name=unique("oauth-out"), AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": f"{outside.base}/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}})["ConnectionArn"]
    via_outside_token = events.create_api_destination(
        Name=unique("inside-oauth"), ConnectionArn=oauth, HttpMethod="POST",
        InvocationEndpoint=f"{webhook.base}/inside-oauth")["ApiDestinationArn"]
    source = unique("shop")
    rule = unique("both")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "in", "Arn": allowed},
                                           {"Id": "out", "Arn": forbidden},
                                           {"Id": "token", "Arn": via_outside_token}])
    put(events, source, {"n": 1})
    webhook.wait("/inside")
    time.sleep(2.5)
    assert outside.requests == []
    assert webhook.at("/inside-oauth") == []
