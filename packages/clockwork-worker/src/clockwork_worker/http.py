"""The worker's HTTP endpoint: ``/healthz`` for load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from clockwork_core.errors import InvalidValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)
Health = Callable[[], tuple[bool, str]]


def parse_address(text: str, field: str = "--http") -> tuple[str, int]:
    """``HOST:PORT`` (``0.0.0.0:8080``, ``:8080``, ``[::1]:8080``) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidValue(field, f"{text!r} is not HOST:PORT (such as 127.0.0.1:8080)")
    return host.strip("[]") or "0.0.0.0", int(port)


class HealthServer:
    """Serves the endpoints from a daemon thread until :meth:`close`."""

    def __init__(self, address: tuple[str, int], health: Health, registry: CollectorRegistry) -> None:
        handler = _handler(health, registry)
        try:
            self._server = ThreadingHTTPServer(address, handler)
        except OSError as exc:
            raise InvalidValue(
                "--http", f"cannot listen on {address[0]}:{address[1]}: {exc.strerror}"
            ) from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("serving /healthz and /metrics on port %d", self.port, extra={"action": "http_started"})
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(health: Health, registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
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
