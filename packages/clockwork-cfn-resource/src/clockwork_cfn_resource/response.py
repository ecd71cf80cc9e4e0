"""The answer CloudFormation waits for: a JSON document PUT to the event's pre-signed URL.

CloudFormation waits up to an hour for it, so it must always be sent: on success, on a
failure, and before the Lambda's own time runs out. The body is at most 4,096 bytes
(CloudFormation's limit). Fields echoed from the event that are longer than
CloudFormation ever sends them (the handler has then refused the event) are cut to that
length first; then a long reason is cut to fit; then, if need be, the echoed fields.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

log = logging.getLogger(__name__)

SUCCESS = "SUCCESS"
FAILED = "FAILED"
#: CloudFormation's limit on the size of a custom resource's response.
MAX_BODY = 4096
CUT = " [...]"
#: The ids a response carries, and the longest CloudFormation sends (a logical id: 255 characters).
ID_LIMITS = {"LogicalResourceId": 255, "PhysicalResourceId": 1024, "StackId": 1024, "RequestId": 1024}
#: The fields echoed from the event.
ECHOED = ("LogicalResourceId", "StackId", "RequestId")
#: What is cut, in this order, when the body is still too long.
_CUT_ORDER = ("Reason", *ID_LIMITS)


class Undeliverable(Exception):
    """The response could not be sent; the message says where and why."""


@attrs.frozen
class Destination:
    """Where the response goes: a ResponseURL checked before anything is written."""

    scheme: str
    host: str
    port: int | None
    target: str  # the path and the query, as signed
    netloc: str

    @classmethod
    def parse(cls, url: object) -> Destination:
        """The destination of ``url``; Undeliverable saying why it cannot be used."""
        if url is None:
            raise Undeliverable("ResponseURL is missing")
        if not isinstance(url, str):
            raise Undeliverable(f"ResponseURL is not text (got {type(url).__name__})")
        shown = url[:200]
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:  # an unclosed [, a port out of range or not a number
            raise Undeliverable(f"ResponseURL {shown!r} is not a URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Undeliverable(f"ResponseURL {shown!r} is not an http(s) URL")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, target, parts.netloc)


@attrs.frozen
class Response:
    status: str
    physical_id: str
    reason: str = ""
    data: Mapping[str, str] = attrs.field(factory=dict)

    def document(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON document CloudFormation expects for ``event``."""
        echoed = {key: event.get(key, "") for key in ECHOED}
        document: dict[str, Any] = {
            "Status": self.status,
            "PhysicalResourceId": self.physical_id,
            # Text only: anything else cannot be CloudFormation's, and may not even encode.
            **{key: value if isinstance(value, str) else "" for key, value in echoed.items()},
            "NoEcho": False,
            "Data": dict(self.data),
        }
        if self.reason:
            document["Reason"] = self.reason
        return document


def body(event: Mapping[str, Any], response: Response, *, limit: int = MAX_BODY) -> bytes:
    """``response`` for ``event`` as bytes of at most ``limit``: ids longer than CloudFormation's
    are cut to that length, then the reason is cut to fit, then, if that is not enough, the
    logical id, the physical id, the stack id, the request id."""
    document = response.document(event)
    for key, longest in ID_LIMITS.items():
        if len(document[key]) > longest:
            document[key] = document[key][: longest - len(CUT)] + CUT
    encoded = _encode(document)
    for key in _CUT_ORDER:
        if len(encoded) <= limit:
            break
        if document.get(key):
            encoded = _cut(document, key, limit)
    return encoded


def _cut(document: dict[str, Any], key: str, limit: int) -> bytes:
    """Cut ``document[key]`` until the document fits in ``limit``, or to nothing but CUT."""
    text = str(document[key])
    encoded = _encode(document)
    # Cut by the bytes over (a character may take up to 6 bytes once escaped), then step
    # down until the whole document fits.
    keep = max(0, len(text) - (len(encoded) - limit) - len(CUT))
    while True:
        document[key] = text[:keep] + CUT
        encoded = _encode(document)
        if len(encoded) <= limit or keep == 0:
            return encoded
        keep = max(0, keep - max(1, (len(encoded) - limit) // 6 + 1))


def _encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode()


def send(url: str | Destination, payload: bytes, *, deadline: float, attempts: int = 4) -> None:
    """PUT ``payload`` to the pre-signed ``url`` (http or https), retrying until ``deadline``
    (``time.monotonic()``). Raises :class:`Undeliverable` when every attempt failed."""
    where = url if isinstance(url, Destination) else Destination.parse(url)
    # The URL is signed for an empty content type: S3 refuses the request otherwise.
    headers = {"Content-Type": "", "Content-Length": str(len(payload))}
    error = "no attempt was made: no time was left"
    for attempt in range(1, attempts + 1):
        left = deadline - time.monotonic()
        if left <= 0.05:
            break
        connection = _connection(where.scheme, where.host, where.port, timeout=min(10.0, left))
        try:
            connection.request("PUT", where.target, body=payload, headers=headers)
            answer = connection.getresponse()
            answer.read()
            if 200 <= answer.status < 300:
                return
            error = f"HTTP {answer.status} {answer.reason}"
            if answer.status < 500:
                break  # a refusal (an expired URL): trying again cannot help
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        log.warning(
            "sending the response failed (attempt %d): %s",
            attempt,
            error,
            extra={"action": "cfn_response_retry", "attempt": attempt},
        )
        time.sleep(min(0.2 * 2 ** (attempt - 1), max(0.0, deadline - time.monotonic())))
    raise Undeliverable(f"could not PUT the response to {where.scheme}://{where.netloc}: {error}")


def _connection(scheme: str, host: str, port: int | None, *, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    return http.client.HTTPConnection(host, port, timeout=timeout)
