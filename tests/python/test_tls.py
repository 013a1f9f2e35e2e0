"""`baton serve --tls-cert FILE --tls-key FILE`: the API, the console and the S3 endpoint over
HTTPS, through boto3 and the AWS CLI trusting a certificate made for the test; a client that
speaks plain HTTP to the TLS port gets nothing and costs nothing."""

import datetime
import ipaddress
import json
import socket
import ssl
import urllib.request

import boto3
import pytest
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import baton_server
from conftest import AwsCli
from support import ACCOUNT, REGION, definition, unique, wait_for_end


def self_signed(folder):
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "baton test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(folder)
    data = tmp_path_factory.mktemp("tls-data")
    log = tmp_path_factory.mktemp("tls-log") / "stderr.log"
    try:
        running = baton_server.start(data, log, extra_args=(
            "--tls-cert", str(cert), "--tls-key", str(key)), ca_file=str(cert))
    except baton_server.StartFailed as e:
        pytest.fail(str(e))
    running.cert = cert
    yield running
    running.stop(10.0)


def test_the_api_and_the_s3_endpoint_answer_over_https(tls_server):
    assert tls_server.endpoint.startswith("https://127.0.0.1:")
    assert tls_server.s3_endpoint.startswith("https://127.0.0.1:")
    sfn = boto3.client("stepfunctions", endpoint_url=tls_server.endpoint, region_name=REGION,
                       aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                       verify=str(tls_server.cert),
                       config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    arn = sfn.create_state_machine(
        name=unique("tls"), roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
        definition=definition({"P": {"Type": "Pass", "End": True}}))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input='{"over": "tls"}')["executionArn"]
    done = wait_for_end(sfn, execution)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"over": "tls"}

    s3 = boto3.client("s3", endpoint_url=tls_server.s3_endpoint, region_name=REGION,
                      aws_access_key_id="k", aws_secret_access_key="s",
                      verify=str(tls_server.cert))
    bucket = unique("tls")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret data")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret data"

    context = ssl.create_default_context(cafile=str(tls_server.cert))
    with urllib.request.urlopen(tls_server.endpoint + "/", context=context, timeout=10) as page:
        assert page.status == 200 and b"<html" in page.read().lower()


def test_the_aws_cli_trusts_the_certificate_it_is_given(tls_server, tmp_path):
    cli = AwsCli(tls_server.endpoint, tmp_path)
    cli.env["AWS_CA_BUNDLE"] = str(tls_server.cert)
    assert "stateMachines" in cli("stepfunctions", "list-state-machines")
    # Without the certificate the client refuses the server: the connection really is TLS.
    del cli.env["AWS_CA_BUNDLE"]
    done = cli._run(("stepfunctions", "list-state-machines"))
    assert done.returncode != 0
    assert "SSL" in done.stderr or "certificate" in done.stderr, done.stderr


def test_plain_http_to_the_tls_port_gets_nothing_and_costs_nothing(tls_server):
    host, port = tls_server.endpoint.removeprefix("https://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as plain:
        plain.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        try:
            while chunk := plain.recv(4096):
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert b"HTTP/1.1 200" not in answer
    context = ssl.create_default_context(cafile=str(tls_server.cert))
    with urllib.request.urlopen(tls_server.endpoint + "/health", context=context,
                                timeout=10) as health:
        assert json.loads(health.read()) == {"status": "ok"}


def test_files_that_cannot_make_a_tls_server_stop_it_at_start(tmp_path):
    cert, key = self_signed(tmp_path)
    other_key = tmp_path / "other.pem"
    other_key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    for args, said in [
        (("--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(key)), "missing.pem"),
        (("--tls-cert", str(key), "--tls-key", str(key)), "no certificate in it"),
        (("--tls-cert", str(cert), "--tls-key", str(cert)), "no private key"),
        (("--tls-cert", str(cert), "--tls-key", str(other_key)), "do not make a TLS server"),
        (("--tls-cert", str(cert)), "--tls-key"),
    ]:
        with pytest.raises(baton_server.StartFailed) as failed:
            baton_server.start(tmp_path / "data", tmp_path / "log", extra_args=args)
        assert said in str(failed.value), (args, str(failed.value))
