"""The answer CloudFormation waits for: a JSON document PUT to the event's pre-signed URL.

CloudFormation waits up to an hour for it, so it must always be sent: on success, on a
failure, and before the Lambda's own time runs out. The body is at most 4,096 bytes
(CloudFormation's limit); a long reason is cut to fit, never the rest.
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


class Undeliverable(Exception):
    """The response could not be sent; the message says where and why."""


@attrs.frozen
class Response:
    status: str
    physical_id: str
    reason: str = ""
    data: Mapping[str, str] = attrs.field(factory=dict)

    def document(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON document CloudFormation expects for ``event``."""
        document: dict[str, Any] = {
            "Status": self.status,
            "PhysicalResourceId": self.physical_id,
            "StackId": event.get("StackId", ""),
            "RequestId": event.get("RequestId", ""),
            "LogicalResourceId": event.get("LogicalResourceId", ""),
            "NoEcho": False,
            "Data": dict(self.data),
        }
        if self.reason:
            document["Reason"] = self.reason
        return document


def body(event: Mapping[str, Any], response: Response, *, limit: int = MAX_BODY) -> bytes:
    """``response`` for ``event`` as bytes of at most ``limit``; the reason is cut to fit."""
    document = response.document(event)
    encoded = _encode(document)
    reason = str(document.get("Reason", ""))
    if len(encoded) <= limit or not reason:
        return encoded
    # Cut the reason by the bytes over (a character may take up to 6 bytes once escaped),
    # then step down until the whole document fits.
    keep = max(0, len(reason) - (len(encoded) - limit) - len(CUT))
    while True:
        document["Reason"] = reason[:keep] + CUT
        encoded = _encode(document)
        if len(encoded) <= limit or keep == 0:
            return encoded
        keep = max(0, keep - max(1, (len(encoded) - limit) // 6 + 1))


def _encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode()


def send(url: str, payload: bytes, *, deadline: float, attempts: int = 4) -> None:
    """PUT ``payload`` to the pre-signed ``url`` (http or https), retrying until ``deadline``
    (``time.monotonic()``). Raises :class:`Undeliverable` when every attempt failed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Undeliverable(f"ResponseURL {url[:200]!r} is not an http(s) URL")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    # The URL is signed for an empty content type: S3 refuses the request otherwise.
    headers = {"Content-Type": "", "Content-Length": str(len(payload))}
    error = "no attempt was made: no time was left"
    for attempt in range(1, attempts + 1):
        left = deadline - time.monotonic()
        if left <= 0.05:
            break
        connection = _connection(parts.scheme, parts.hostname, parts.port, timeout=min(10.0, left))
        try:
            connection.request("PUT", target, body=payload, headers=headers)
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
    raise Undeliverable(f"could not PUT the response to {parts.scheme}://{parts.netloc}: {error}")


def _connection(scheme: str, host: str, port: int | None, *, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    return http.client.HTTPConnection(host, port, timeout=timeout)
