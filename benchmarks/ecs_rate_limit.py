"""An emulator of ECS's ``RunTask`` rate limit: a real HTTP server in front of moto's ECS.

moto does not throttle; ECS does, server-side, with a token bucket per account, region
and launch kind (Fargate: 20 calls a second, burst 20; EC2: 40 a second, burst 100).
This server is that bucket, as a separate process on a loopback port: a ``RunTask``
call that finds its kind's bucket empty is answered at once as ECS answers it (HTTP 400,
``{"__type":"ThrottlingException","message":"Rate exceeded"}``). It is an emulator of the
rate limit over real HTTP, not an in-process mock: the client under test is the real
launcher with its real boto3 client, pointed here by ``endpoint_url``.

An admitted ``RunTask`` is answered here too, with a minimal valid answer (the tasks,
PROVISIONING, under long-format ARNs; a repeated ``clientToken`` gets the same tasks
back, as from ECS): moto's own ``RunTask``, measured through this server one request at
a time when this was written, took 10 ms at the median alone and 17 ms (p99 95 ms) beside a burst's workers on
2 cores, so it cannot keep up with 40 + 20 calls a second. The tasks it started are
answered here as well: ``DescribeTasks`` of them (each has ended, exit code 0: the
tracker follows a run to its end at its first look) and ``ListTasks`` by ``startedBy``
(a retry's lookup). Everything else (``DescribeTaskDefinition``, ...) is forwarded to
moto's server, one request at a time (moto's ECS is not safe under concurrent requests).

What it counts (``GET /_rate_limit/stats``, JSON; ``?full=1`` for every figure): per kind
the ``RunTask`` calls, the ones throttled (and when), and for each admitted call that
started tasks, its wall-clock arrival under the fire key it carried (tag
``clockwork:fire-key``); how long moto took per forwarded operation.

    python ecs_rate_limit.py --upstream http://127.0.0.1:PORT --port PORT2 [--rates FARGATE=20/20,EC2=40/100]

:class:`RateLimitServer` starts it as a child process, in a process group of its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
ACCOUNT = "123456789012"
JSON = "application/x-amz-json-1.1"
THROTTLED = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
STATS_PATH = "/_rate_limit/stats"
KEY_TAG = "clockwork:fire-key"
#: ECS's published RunTask rates, as the launcher's own bucket has them: (calls a second, burst).
ECS_RATES: Mapping[str, tuple[float, int]] = {"FARGATE": (20.0, 20), "EC2": (40.0, 100)}
_PASSED_HEADERS = ("content-type", "x-amzn-requestid")


class Bucket:
    """ECS's side: ``rate`` tokens a second, at most ``burst``; a call takes one or is refused."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)  # at rest, the bucket is full
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def region_of(authorization: str) -> str:
    """The region a SigV4 ``Authorization`` header signs for (``Credential=KEY/DATE/REGION/ecs/...``)."""
    scope = authorization.partition("Credential=")[2].split(",")[0].split("/")
    return scope[2] if len(scope) > 2 else "us-east-1"


def kind_of(request: Mapping[str, Any]) -> str:
    """Which quota a RunTask counts against (as the launcher decides: Fargate when unsure)."""
    if "launchType" in request:
        return "FARGATE" if request["launchType"] == "FARGATE" else "EC2"
    strategy = request.get("capacityProviderStrategy") or []
    if strategy and not all(str(item.get("capacityProvider", "")).startswith("FARGATE") for item in strategy):
        return "EC2"
    return "FARGATE"


class RateLimiter:
    """The server's state: buckets, counts, and the one connection to moto."""

    def __init__(self, upstream: str, rates: Mapping[str, tuple[float, int]]) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.buckets = {kind: Bucket(rate, burst) for kind, (rate, burst) in rates.items()}
        self.calls = dict.fromkeys(rates, 0)
        self.throttled = dict.fromkeys(rates, 0)
        self.started: dict[str, dict[str, list[float]]] = {kind: {} for kind in rates}
        #: How long moto took to answer, per operation (the wait for the one connection left out).
        self.moto_seconds: dict[str, list[float]] = {}
        self.throttled_at: dict[str, list[float]] = {kind: [] for kind in rates}
        #: The tasks started here, by ARN; the answers given, by clientToken.
        self.tasks: dict[str, dict[str, Any]] = {}
        self.by_token: dict[str, list[dict[str, Any]]] = {}
        self._state = threading.Lock()
        self._upstream_lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None

    def admit(self, kind: str, arrived: float) -> bool:
        with self._state:
            self.calls[kind] += 1
            if self.buckets[kind].take():
                return True
            self.throttled[kind] += 1
            self.throttled_at[kind].append(arrived)
            return False

    def forward(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request to moto at a time, on one kept-alive connection (reopened if it broke)."""
        with self._upstream_lock:
            began = time.monotonic()
            try:
                return self._forward(path, headers, body)
            finally:
                operation = headers.get("X-Amz-Target", "").rpartition(".")[2]
                took = time.monotonic() - began
                with self._state:
                    self.moto_seconds.setdefault(operation, []).append(took)

    def _forward(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(*self.upstream, timeout=60)
            try:
                self._connection.request("POST", path, body=body, headers=headers)
                response = self._connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (OSError, http.client.HTTPException):
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def run_task(self, kind: str, arrived: float, request: Mapping[str, Any], region: str) -> dict[str, Any]:
        """Start ``count`` tasks (or give back the ones started under the same clientToken)."""
        token = str(request.get("clientToken") or "")
        key = next((str(t.get("value")) for t in request.get("tags", ()) if t.get("key") == KEY_TAG), "")
        cluster = str(request.get("cluster") or "default").rsplit("/", 1)[-1]
        definition = str(request["taskDefinition"])
        if not definition.startswith("arn:"):
            family, _, revision = definition.partition(":")
            definition = f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{family}:{revision or 1}"
        overrides = request.get("overrides", {}).get("containerOverrides") or [{"name": "main"}]
        with self._state:
            if token and token in self.by_token:
                return {"tasks": self.by_token[token], "failures": []}
            tasks = []
            for _ in range(int(request.get("count") or 1)):
                task = {
                    "taskArn": f"arn:aws:ecs:{region}:{ACCOUNT}:task/{cluster}/{uuid.uuid4().hex}",
                    "clusterArn": f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{cluster}",
                    "taskDefinitionArn": definition,
                    "lastStatus": "PROVISIONING",
                    "desiredStatus": "RUNNING",
                    "launchType": "FARGATE" if kind == "FARGATE" else "EC2",
                    "startedBy": request.get("startedBy", ""),
                    "tags": list(request.get("tags", [])),
                    "containers": [{"name": c["name"], "lastStatus": "PENDING"} for c in overrides],
                    "createdAt": arrived,
                }
                self.tasks[task["taskArn"]] = task
                tasks.append(task)
            if token:
                self.by_token[token] = tasks
            self.started[kind].setdefault(key, []).append(arrived)
            return {"tasks": tasks, "failures": []}

    def describe_tasks(self, request: Mapping[str, Any]) -> dict[str, Any] | None:
        """DescribeTasks of tasks started here (each has ended, exit code 0); None: not ours."""
        arns = [str(arn) for arn in request.get("tasks", [])]
        with self._state:
            if not arns or not all(arn in self.tasks for arn in arns):
                return None
            tags = "TAGS" in (request.get("include") or [])
            described = []
            for arn in arns:
                task = self.tasks[arn]
                described.append(
                    {
                        **{k: v for k, v in task.items() if k != "tags" or tags},
                        "lastStatus": "STOPPED",
                        "desiredStatus": "STOPPED",
                        "stopCode": "EssentialContainerExited",
                        "stoppedReason": "Essential container in task exited",
                        "containers": [
                            {"name": c["name"], "lastStatus": "STOPPED", "exitCode": 0}
                            for c in task["containers"]
                        ],
                    }
                )
            return {"tasks": described, "failures": []}

    def list_tasks(self, request: Mapping[str, Any]) -> dict[str, Any] | None:
        """ListTasks by startedBy (a retry's lookup): the tasks started here; None: not such a call."""
        started_by = request.get("startedBy")
        if not started_by:
            return None
        if request.get("desiredStatus", "RUNNING") != "STOPPED":
            return {"taskArns": []}  # tasks started here have all ended
        cluster = str(request.get("cluster") or "default").rsplit("/", 1)[-1]
        with self._state:
            arns = [
                arn
                for arn, task in self.tasks.items()
                if task["startedBy"] == started_by and arn.split("/")[1] == cluster
            ]
        return {"taskArns": arns}

    def stats(self, *, full: bool) -> dict[str, Any]:
        """Counts (``launched``: fire keys with a started task, per kind); ``full`` adds every arrival."""
        with self._state:
            stats: dict[str, Any] = {
                "calls": dict(self.calls),
                "throttled": dict(self.throttled),
                "launched": {kind: len(keys) for kind, keys in self.started.items()},
            }
            if full:
                stats["started"] = {kind: dict(keys) for kind, keys in self.started.items()}
                stats["moto_seconds"] = {op: list(times) for op, times in self.moto_seconds.items()}
                stats["throttled_at"] = {kind: list(times) for kind, times in self.throttled_at.items()}
            return stats


def handler(limiter: RateLimiter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            if self.path not in (STATS_PATH, STATS_PATH + "?full=1"):
                self._send(404, [], b"")
                return
            stats = limiter.stats(full=self.path.endswith("?full=1"))
            self._send(200, [("Content-Type", "application/json")], json.dumps(stats).encode())

        def do_POST(self) -> None:
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = self.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
            request: dict[str, Any] = json.loads(body or b"{}") if operation else {}
            answer: dict[str, Any] | None = None
            if operation == "RunTask":
                kind = kind_of(request)
                if not limiter.admit(kind, arrived):
                    self._send(400, [("Content-Type", JSON)], THROTTLED)
                    return
                answer = limiter.run_task(
                    kind, arrived, request, region_of(self.headers.get("Authorization", ""))
                )
            elif operation == "DescribeTasks":
                answer = limiter.describe_tasks(request)
            elif operation == "ListTasks":
                answer = limiter.list_tasks(request)
            if answer is not None:
                self._send(200, [("Content-Type", JSON)], json.dumps(answer).encode())
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            try:
                status, answer_headers, forwarded = limiter.forward(self.path, headers, body)
            except (OSError, http.client.HTTPException):
                self.close_connection = True  # moto is down: so is our answer
                return
            kept = [(k, v) for k, v in answer_headers if k.lower() in _PASSED_HEADERS]
            self._send(status, kept, forwarded)

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


def parse_rates(text: str) -> dict[str, tuple[float, int]]:
    rates = dict(ECS_RATES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, setting = part.partition("=")
        rate, _, burst = setting.partition("/")
        rates[kind.strip().upper()] = (float(rate), int(burst))
    return rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--upstream", required=True, help="moto's server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rates", default="", help="KIND=RATE/BURST,... (default ECS's published rates)")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(
        ("127.0.0.1", args.port), handler(RateLimiter(args.upstream, parse_rates(args.rates)))
    )
    server.daemon_threads = True
    server.request_queue_size = 256
    server.serve_forever()


# --- the bench's side ---------------------------------------------------------------------


class RateLimitServer:
    """This module's server as a child process in its own process group (``with`` it): an
    :class:`~clockwork_dynamodb.testing.emulators.Emulator`, as the emulators are run."""

    def __init__(
        self, upstream: str, log: Path, *, rates: Mapping[str, tuple[float, int]] = ECS_RATES
    ) -> None:
        # Here, not at the top: the server process itself needs only the standard library.
        from clockwork_dynamodb.testing.emulators import Emulator, free_port

        port = free_port()
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--upstream",
            upstream,
            "--port",
            str(port),
            "--rates",
            ",".join(f"{kind}={rate:g}/{burst}" for kind, (rate, burst) in rates.items()),
        ]
        self.server = Emulator("the rate-limit server", command, port, log)

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def __enter__(self) -> RateLimitServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def stats(self, *, full: bool = False) -> dict[str, Any]:
        url = self.endpoint + STATS_PATH + ("?full=1" if full else "")
        with urllib.request.urlopen(url, timeout=60) as answer:
            stats: dict[str, Any] = json.loads(answer.read())
            return stats


if __name__ == "__main__":
    main()
