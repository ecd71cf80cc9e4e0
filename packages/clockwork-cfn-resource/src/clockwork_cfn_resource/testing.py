"""CloudFormation's side of the conversation, for testing the custom resource (ours, and
a deployment's: send the handler events as CloudFormation would, read its answers).

* :class:`ResponseServer`: a real HTTP server on loopback standing in for the pre-signed
  S3 URL; it records every PUT (path, headers, body). With ``tls``, it serves https with
  a self-signed certificate (made with ``cryptography``, which must be installed) that
  the test makes trusted through ``SSL_CERT_FILE``.
* :class:`SilentEndpoint`: a port that accepts connections and never answers (a DynamoDB
  endpoint that hangs).
* :func:`event`: requests shaped as CloudFormation sends them.
* :class:`LambdaContext`: the remaining-time clock of a Lambda invocation.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/orders/4f6e0a60-8a6b-11ef-9f1c-0a1b2c3d4e5f"
SERVICE_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:clockwork-TokenFunction-1A2B3C"
REGION = "us-east-1"


@attrs.frozen
class Received:
    path: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


class ResponseServer:
    """Records PUTs; ``fail_first`` answers that many with 500 first (S3 hiccups)."""

    def __init__(self, *, tls_dir: Path | None = None, fail_first: int = 0) -> None:
        self.received: list[Received] = []
        self.fail_first = fail_first
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _recorder(self))
        self._server.daemon_threads = True
        self.scheme = "http"
        self.certificate: Path | None = None
        if tls_dir is not None:
            self.certificate, key = self_signed(tls_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certificate, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str = "response") -> str:
        """A URL shaped like S3's pre-signed ones (the query must be sent back intact)."""
        port = self._server.server_address[1]
        query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=abc123"
        return (
            f"{self.scheme}://localhost:{port}/cloudformation-custom-resource-response-useast1/{name}?{query}"
        )

    def wait(self, count: int = 1, timeout: float = 30.0) -> list[Received]:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _recorder(server: ResponseServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with server._lock:
                failing = server.fail_first > 0
                if failing:
                    server.fail_first -= 1
                else:
                    server.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` and its key, written to ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class SilentEndpoint:
    """Accepts TCP connections and never answers: every request hangs until its time-out.

    With ``drip``, it answers 200 with a huge body sent one byte at a time: no read ever
    times out, so the call hangs for as long as the server likes (only the handler's own
    deadline ends it).
    """

    def __init__(self, *, drip: bool = False) -> None:
        self.drip = drip
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with self._lock:
                if self._closed.is_set():  # accepted while closing: close it here
                    connection.close()
                    return
                self._held.append(connection)
            if self.drip:
                threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while not self._closed.is_set():
                connection.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            return

    def close(self) -> None:
        with self._lock:
            self._closed.set()
            self._socket.close()
            for connection in self._held:
                connection.close()


@attrs.frozen
class LambdaContext:
    """The remaining time of an invocation that started now with ``timeout`` seconds."""

    timeout: float
    started: float = attrs.field(factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout - time.monotonic()) * 1000))


def original_properties(table: str) -> dict[str, Any]:
    """The original aws-ecs-clockwork README's example, as CloudFormation resolves it."""
    return {
        "ServiceToken": SERVICE_TOKEN,
        "SchedulerDynamoDBTable": table,
        "Region": REGION,
        "Name": "Do Accruals Nightly Processing",
        "CronTime": "*/2 * * * *",
        "TaskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/DoAccruals:7",
        "ECSClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/ECSCluster-1QW2E3R4T5Y6",
    }


def event(
    request_type: str,
    properties: Mapping[str, Any],
    response_url: str,
    *,
    physical_id: str | None = None,
    old: Mapping[str, Any] | None = None,
    logical_id: str = "DoAccuralsScheduledJob",
    request_id: str | None = None,
) -> dict[str, Any]:
    """A request as CloudFormation sends it (every property value already resolved)."""
    sent: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": request_id or str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": dict(properties),
    }
    if physical_id is not None:
        sent["PhysicalResourceId"] = physical_id
    if old is not None:
        sent["OldResourceProperties"] = dict(old)
    return sent


def thaw(value: Any) -> Any:
    """A stored (frozen) value as plain dicts and lists, to compare with literals."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(item) for item in value]
    return value
