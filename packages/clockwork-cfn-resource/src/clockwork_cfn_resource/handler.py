"""The Lambda entry point: ``clockwork_cfn_resource.handler.handler``.

Whatever happens (bad properties, DynamoDB unreachable or never answering, a bug), one
response reaches the event's ``ResponseURL`` before the Lambda's own time runs out:

1. The request runs in a thread, with a deadline taken from the Lambda context's
   remaining time less a reserve for sending the response. The DynamoDB client's own
   time-outs and retries are sized to fit inside it.
2. If the thread has not finished by the deadline, the handler answers FAILED, naming the
   table, and the thread may no longer write (it checks before each write).
3. Any exception becomes FAILED with its message; the physical id is known before any
   write, so a Delete after a failed Create finds what there is to find.

Before anything is written, the event's shape is checked. An event that is not a mapping
is logged and dropped (there is no URL to answer). A ResponseURL that cannot be used
(malformed, not http(s), missing) means no answer could ever be sent, so nothing is
written and the handler logs one line. Echoed fields that are not text, or longer than
CloudFormation sends, are answered FAILED without a write.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Mapping
from typing import Any, Protocol

import attrs
from botocore.config import Config
from clockwork_core.errors import ClockworkError, InvalidValue
from clockwork_core.store import Store
from clockwork_dynamodb.calls import Backoff

from clockwork_cfn_resource import response
from clockwork_cfn_resource.operations import OPERATIONS, Outcome, endpoint_url, schedule_id
from clockwork_cfn_resource.response import FAILED, SUCCESS, Response

log = logging.getLogger(__name__)

#: Kept back from the Lambda's remaining time to send the response (and log).
RESERVE_SECONDS = 5.0
#: When there is no Lambda context (a direct call), the time the request may take.
DEFAULT_BUDGET_SECONDS = 60.0
REQUEST_TYPES = tuple(OPERATIONS)
#: Tries of each DynamoDB call (throttling, 5xx, lost connections are retried).
ATTEMPTS = 3
#: The event's own fields, and the longest CloudFormation sends.
LONGEST = {"RequestType": 64, **response.ID_LIMITS}


class Context(Protocol):
    """The part of the Lambda context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int: ...


class TimedOut(ClockworkError):
    """The handler stopped waiting; the request may no longer write."""


@attrs.define
class Deadline:
    """The monotonic time by which the request must be done; ``expired`` once given up.

    ``allowance`` is the longest one store call may take with all its retries: a write
    starts only if it can end (landed or failed) before the deadline, so that nothing
    lands after the handler has answered, nor later, from a thread frozen with the Lambda
    and thawed by its next invocation.
    """

    at: float
    allowance: float = 0.0
    expired: threading.Event = attrs.field(factory=threading.Event)

    def left(self) -> float:
        return self.at - time.monotonic()

    def guard(self) -> None:
        if self.expired.is_set() or self.left() <= self.allowance:
            raise TimedOut(
                "timed out: too little time was left to write to DynamoDB safely; nothing was written"
            )


def handler(event: object, context: Context | None = None) -> dict[str, Any]:
    """Handle one CloudFormation custom resource request; returns the response sent (or, when
    none can be sent, the one that would have been; ``{}`` for an event that is not a mapping)."""
    logging.getLogger("clockwork_cfn_resource").setLevel(logging.INFO)
    if not isinstance(event, Mapping):
        log.error(
            "the event is not a mapping (got %s): there is no ResponseURL to answer; nothing was written",
            type(event).__name__,
            extra={"action": "cfn_event_not_a_mapping"},
        )
        return {}
    started = time.monotonic()
    remaining = (
        context.get_remaining_time_in_millis() / 1000 if context is not None else DEFAULT_BUDGET_SECONDS
    )
    reserve = min(RESERVE_SECONDS, remaining / 4)
    deadline = Deadline(started + remaining - reserve)
    try:
        destination = response.Destination.parse(event.get("ResponseURL"))
    except response.Undeliverable as exc:
        log.error("%s: no response can be sent; nothing was written", exc, extra={"action": "cfn_no_url"})
        return Response(FAILED, _physical_id(event), f"{exc}; nothing was written").document(event)
    problem = _malformed(event)
    answer = Response(FAILED, _physical_id(event), problem) if problem else _answer(event, deadline)
    document = answer.document(event)
    _log_done(event, document, answer)
    try:
        response.send(destination, response.body(event, answer), deadline=started + remaining - 0.5)
    except response.Undeliverable as exc:
        log.error("%s", exc, extra={"action": "cfn_response_undeliverable"})
    return document


def _malformed(event: Mapping[str, Any]) -> str | None:
    """What is wrong with the event's own fields (not text, or longer than CloudFormation's)."""
    for key, longest in LONGEST.items():
        value = event.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{key}: expected text, got {type(value).__name__}; nothing was written"
        if len(value) > longest:
            return (
                f"{key}: is {len(value)} characters long; CloudFormation's are at most {longest}; "
                "nothing was written"
            )
    return None


def _log_done(event: Mapping[str, Any], document: Mapping[str, Any], answer: Response) -> None:
    request_type = event.get("RequestType")
    shown_type = request_type[:64] if isinstance(request_type, str) else type(request_type).__name__
    log.info(
        "%s %s: %s%s",
        shown_type,
        document["LogicalResourceId"][:255],
        answer.status,
        f" ({answer.reason})" if answer.reason else "",
        extra={
            "action": "cfn_request_done",
            "request_type": shown_type,
            "status": answer.status,
            "physical_id": answer.physical_id[:1024],
            "stack": document["StackId"][:1024],
        },
    )


def _answer(event: Mapping[str, Any], deadline: Deadline) -> Response:
    physical_id = _physical_id(event)
    request_type = event.get("RequestType")
    operation = OPERATIONS.get(str(request_type))
    if operation is None:
        return Response(
            FAILED,
            physical_id,
            f"RequestType {request_type!r} is not one of {', '.join(REQUEST_TYPES)}",
        )
    outcome: list[Outcome] = []
    failure: list[BaseException] = []
    opened: list[str] = []

    def open_store(table: str, region: str | None) -> Store:
        opened.append(table)  # the table named, or the one that holds what was migrated from it
        return _open(table, region, deadline)

    def run() -> None:
        try:
            outcome.append(operation(event, open_store, deadline.guard))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="cfn-request", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline.left()))
    if thread.is_alive():
        deadline.expired.set()
        return Response(FAILED, physical_id, _timed_out(event, opened[-1] if opened else None))
    if failure:
        return Response(FAILED, physical_id, _reason(failure[0]))
    done = outcome[0]
    return Response(SUCCESS, done.physical_id, done.reason, done.data)


def _physical_id(event: Mapping[str, Any]) -> str:
    """The physical id to answer with if the request fails: the old one, or Create's."""
    existing = event.get("PhysicalResourceId")
    if isinstance(existing, str) and existing:
        return existing
    return schedule_id({key: value for key, value in event.items() if isinstance(value, str)})


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ClockworkError):
        return str(exc)
    log.error(
        "unexpected error: %s",
        "".join(traceback.format_exception(exc)),
        extra={"action": "cfn_unexpected_error"},
    )
    return f"unexpected error ({type(exc).__name__}: {exc}); see the function's log"


def _timed_out(event: Mapping[str, Any], table: str | None) -> str:
    if table is None:
        properties = event.get("ResourceProperties")
        named = properties.get("SchedulerDynamoDBTable") if isinstance(properties, Mapping) else None
        table = named if isinstance(named, str) else None
    return (
        f"timed out: DynamoDB table {table!r} did not answer in time "
        f"(endpoint {endpoint_url() or 'the region default'}); nothing was written after the time-out"
    )


def _open(table: str, region: str | None, deadline: Deadline) -> Store:
    """The table's store, with a client whose time-outs and retries fit the deadline."""
    import boto3
    from clockwork_dynamodb.store import DynamoDBStore

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise InvalidValue("Region", "is not given, and the function has no AWS_REGION")
    left = max(1.0, deadline.left())
    connect, read = min(2.0, left / 10), min(5.0, left / 10)
    backoff = Backoff(attempts=ATTEMPTS, base=0.1, cap=0.5)
    deadline.allowance = ATTEMPTS * (connect + read + backoff.cap)
    client = boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint_url(),
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect,
            read_timeout=read,
        ),
    )
    try:
        return DynamoDBStore(client, table, backoff=backoff, close_client=True)
    except BaseException:
        client.close()
        raise
