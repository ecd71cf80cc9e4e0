"""The worker's HTTP endpoint: ``/healthz`` for load balancers, ``/metrics`` for Prometheus.

It listens on loopback unless told otherwise: ``:8080`` is ``127.0.0.1:8080``, which is
all a container's health check needs (it runs inside the container). Any other address
is written out (``0.0.0.0:8080``, ``[::]:8080``) and logged as a warning, since /metrics
is then reachable from the network.

Idle clients cost little: a connection has ``timeout`` seconds (default 5) from its
accept to send its whole request head, however slowly its bytes come, and as long for
the answer to be taken; at most ``max_connections`` (default 16) are served at once, each
on a thread of its own; a connection beyond them is closed at once, without a thread.
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clockwork_core.errors import InvalidValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)
Health = Callable[[], tuple[bool, str]]

LOOPBACK = "127.0.0.1"
TIMEOUT = 5.0
MAX_CONNECTIONS = 16


def parse_address(text: str, field: str = "--http") -> tuple[str, int]:
    """``HOST:PORT`` (``0.0.0.0:8080``, ``[::1]:8080``; ``:8080`` is loopback) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or not 0 <= int(port) <= 65535:
        raise InvalidValue(field, f"{text!r} is not HOST:PORT (such as 127.0.0.1:8080)")
    return host.strip("[]") or LOOPBACK, int(port)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HealthServer:
    """Serves the endpoints from a daemon thread until :meth:`close`."""

    def __init__(
        self,
        address: tuple[str, int],
        health: Health,
        registry: CollectorRegistry,
        *,
        timeout: float = TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        handler = _handler(health, registry, timeout)
        try:
            self._server = _Server(address, handler, max_connections)
        except OSError as exc:
            raise InvalidValue(
                "--http", f"cannot listen on {address[0]}:{address[1]}: {exc.strerror}"
            ) from exc
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    @property
    def host(self) -> str:
        """The address it listens on, as bound (``127.0.0.1``, ``::``)."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        where = {"host": self.host, "port": self.port}
        log.info(
            "serving /healthz and /metrics on %s port %d",
            self.host,
            self.port,
            extra={"action": "http_started", **where},
        )
        if not is_loopback(self.host):
            log.warning(
                "listening on %s, not loopback: /metrics is reachable from the network",
                self.host,
                extra={"action": "http_exposed", **where},
            )
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    """A thread per connection, up to ``max_connections``; IPv6 for an IPv6 host."""

    daemon_threads = True
    request_queue_size = 64  # the kernel's backlog: a burst is taken in, answered or closed

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], limit: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._slots = threading.BoundedSemaphore(limit)
        self._limit = limit
        self._full = False
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            if not self._full:  # once per spell, not once per connection
                log.warning(
                    "the HTTP endpoint serves %d connections already; closing new ones until one ends",
                    self._limit,
                    extra={"action": "http_full"},
                )
            self._full = True
            self.shutdown_request(request)
            return
        self._full = False
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets its connection is no news; socketserver would print a traceback.
        log.debug("HTTP connection from %s failed", client_address, exc_info=True)


class _Deadline(io.RawIOBase):
    """A socket's reading side that gives up at ``deadline`` (monotonic), however slowly bytes come.

    Each read waits at most until the deadline; the socket's time-out is then put back to
    ``timeout`` for the answer.
    """

    def __init__(self, sock: socket.socket, deadline: float, timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._timeout = timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._timeout)


def _handler(health: Health, registry: CollectorRegistry, limit: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = limit  # for every socket call, the answer's writes included

        def setup(self) -> None:
            super().setup()
            self.rfile.close()
            self.rfile = io.BufferedReader(_Deadline(self.connection, time.monotonic() + limit, limit))

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/healthz":
                ok, detail = health()
                self._send(200 if ok else 503, "application/json", json.dumps({"ok": ok, "detail": detail}))
            elif self.path.split("?")[0] == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, generate_latest(registry).decode())
            else:
                self._send(404, "text/plain", "not found: try /healthz or /metrics\n")

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.debug(format, *args)

    return Handler
