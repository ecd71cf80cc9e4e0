"""Every DynamoDB call goes through :class:`Calls`: capacity, retries, and errors in our terms.

* Each data call asks for ``ReturnConsumedCapacity=TOTAL`` and feeds the meter.
* Throttling, 5xx answers and connection errors are retried here, with exponential
  backoff and full jitter (botocore's own retries are switched off, so that one policy
  decides and the meter sees every attempt). When the attempts run out the call raises
  :class:`~clockwork_core.errors.StoreUnavailable`, naming the table, the operation and
  the last error; so does any other refusal (access denied, a missing table), so that a
  worker keeps running and says why in its health.
* botocore's own errors before any request is sent (no credentials, half a key, a profile
  that is not there, a parameter it refuses) are not retried: they raise
  StoreUnavailable at once, in one line that says what to do (:func:`explain`).
* A false condition raises :class:`ConditionFailed`. If an earlier attempt of the same
  call failed in a way that leaves open whether it was applied (a 5xx, a dropped
  connection, a read time-out), ``ambiguous`` is set: the store then checks whether its
  own write landed (each write carries a ``write_token``) before calling it a conflict.
* Queries page through ``LastEvaluatedKey``; batches repeat their unprocessed part.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import attrs
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)
from clockwork_core.clock_offset import ClockOffset
from clockwork_core.errors import StoreUnavailable

from clockwork_dynamodb.capacity import METER, CapacityMeter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

log = logging.getLogger(__name__)

Item = dict[str, Any]

#: Error codes that mean "not now": retried with backoff.
THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
#: Server-side failures: retried, and ambiguous for a write (it may have been applied).
SERVER_ERRORS = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
#: Connection failures after which a request may have reached DynamoDB.
AMBIGUOUS_CONNECTION = (ConnectionClosedError, ReadTimeoutError)
CONNECTION = (EndpointConnectionError, ConnectTimeoutError, *AMBIGUOUS_CONNECTION)
_NO_TABLE_NAME = frozenset({"BatchGetItem", "BatchWriteItem"})
_NO_CAPACITY = frozenset({"DescribeTable", "CreateTable", "UpdateTimeToLive", "DescribeTimeToLive"})


@attrs.frozen
class Backoff:
    """Attempts per call, and the full-jitter exponential wait between them (seconds)."""

    attempts: int = 6
    base: float = 0.05
    cap: float = 2.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """The wait before retry number ``retry`` (1-based): uniform in [0, base * 2^(retry-1)], capped."""
        return rng.uniform(0, min(self.cap, self.base * 2 ** (retry - 1)))


class ConditionFailed(Exception):
    """A conditional write whose condition was false (ConditionalCheckFailedException)."""

    def __init__(self, error: ClientError, *, ambiguous: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.ambiguous = ambiguous


class TableMissing(StoreUnavailable):
    """The table does not exist (or not any more)."""


class Unsupported(StoreUnavailable):
    """The endpoint does not know the operation (dynalite has no TTL and no transactions)."""


class Calls:
    """Calls on one table through an injected boto3 client."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        meter: CapacityMeter = METER,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.table = table
        self.meter = meter
        self.backoff = backoff or Backoff()
        #: This host's clock against DynamoDB's, from the ``Date`` of every answer.
        self.clock_offset = ClockOffset()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._now = now

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ``operation`` (``"UpdateItem"``) on the table, with retries; returns the response."""
        if operation not in _NO_TABLE_NAME:
            params.setdefault("TableName", self.table)
        if operation not in _NO_CAPACITY:
            params["ReturnConsumedCapacity"] = "TOTAL"
        method: Callable[..., Any] = getattr(self.client, _snake(operation))
        ambiguous = False
        last: Exception | None = None
        for attempt in range(1, self.backoff.attempts + 1):
            sent = self._now()
            try:
                response: dict[str, Any] = method(**params)
            except ClientError as exc:
                self._observe_clock(sent, exc.response)
                code = exc.response.get("Error", {}).get("Code", "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code == "ConditionalCheckFailedException":
                    self.meter.condition_failed(self.table, operation)
                    raise ConditionFailed(exc, ambiguous=ambiguous) from exc
                if code == "ResourceNotFoundException":
                    raise TableMissing(
                        f"DynamoDB table {self.table!r} does not exist (create it with "
                        f"`clockwork dynamodb create-table`)"
                    ) from exc
                if code == "UnknownOperationException":
                    raise Unsupported(f"this DynamoDB endpoint does not support {operation}") from exc
                server = code in SERVER_ERRORS or status >= 500
                if not (server or code in THROTTLING):
                    message = exc.response.get("Error", {}).get("Message", "")
                    raise StoreUnavailable(
                        f"DynamoDB {operation} on table {self.table!r} was refused: {code}: {message}"
                    ) from exc
                ambiguous = ambiguous or server
                reason, last = code or str(status), exc
            except CONNECTION as exc:
                ambiguous = ambiguous or isinstance(exc, AMBIGUOUS_CONNECTION)
                reason, last = "connection", exc
            except BotoCoreError as exc:
                raise StoreUnavailable(
                    f"DynamoDB {operation} on table {self.table!r} failed: {explain(exc)}"
                ) from exc
            else:
                self._observe_clock(sent, response)
                self.meter.consumed(self.table, operation, response)
                return response
            self._wait(operation, attempt, reason, last)
        raise StoreUnavailable(
            f"DynamoDB {operation} on table {self.table!r} failed {self.backoff.attempts} times; last: {last}"
        ) from last

    def _observe_clock(self, sent: datetime, response: Mapping[str, Any]) -> None:
        """Feed the answer's ``Date`` header (DynamoDB's clock, to the second) to the offset."""
        received = self._now()
        header = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        if not header:
            return
        try:
            stamp = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return  # an endpoint with a malformed Date proves nothing
        if stamp.tzinfo is None:
            return
        self.clock_offset.observe(sent=sent, received=received, stamp=stamp)

    def _wait(self, operation: str, attempt: int, reason: str, error: Exception) -> None:
        if attempt >= self.backoff.attempts:
            return
        self.meter.retried(self.table, operation, reason)
        delay = self.backoff.delay(attempt, self._rng)
        log.debug(
            "DynamoDB %s: attempt %d failed (%s); retrying in %.3f s",
            operation,
            attempt,
            error,
            delay,
            extra={"action": "dynamodb_retry", "operation": operation, "reason": reason},
        )
        self._sleep(delay)

    # --- paging -----------------------------------------------------------------------

    def query(self, *, limit: int | None = None, **params: Any) -> Iterator[Item]:
        """The items of a Query, page after page, at most ``limit`` of them (None: all)."""
        if limit is not None and limit <= 0:
            return
        served = 0
        while True:
            if limit is not None:
                params["Limit"] = limit - served
            page = self("Query", **params)
            for item in page.get("Items", ()):
                yield item
                served += 1
            start = page.get("LastEvaluatedKey")
            if not start or (limit is not None and served >= limit):
                return
            params["ExclusiveStartKey"] = start

    def scan(self, **params: Any) -> Iterator[Item]:
        """Every item of a Scan, page after page."""
        while True:
            page = self("Scan", **params)
            yield from page.get("Items", ())
            start = page.get("LastEvaluatedKey")
            if not start:
                return
            params["ExclusiveStartKey"] = start

    def batch_get(self, keys: Sequence[Item], *, consistent: bool = True) -> list[Item]:
        """The items at ``keys`` that exist (in no particular order), 100 keys a call."""
        found: list[Item] = []
        for start in range(0, len(keys), 100):
            request: Mapping[str, Any] = {
                self.table: {"Keys": list(keys[start : start + 100]), "ConsistentRead": consistent}
            }
            for response in self._batches("BatchGetItem", request, "UnprocessedKeys"):
                found.extend(response.get("Responses", {}).get(self.table, ()))
        return found

    def batch_delete(self, keys: Sequence[Item]) -> None:
        """Delete the items at ``keys``, 25 a call."""
        for start in range(0, len(keys), 25):
            chunk = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            for _ in self._batches("BatchWriteItem", {self.table: chunk}, "UnprocessedItems"):
                pass

    def _batches(
        self, operation: str, request: Mapping[str, Any], unprocessed: str
    ) -> Iterator[dict[str, Any]]:
        """Call a batch operation until nothing is left unprocessed (throttled parts are retried)."""
        for attempt in range(1, self.backoff.attempts + 1):
            response = self(operation, RequestItems=request)
            yield response
            request = response.get(unprocessed) or {}
            if not request:
                return
            if attempt < self.backoff.attempts:
                self.meter.retried(self.table, operation, "unprocessed")
                self._sleep(self.backoff.delay(attempt, self._rng))
        raise StoreUnavailable(
            f"DynamoDB {operation} on table {self.table!r} left items unprocessed "
            f"{self.backoff.attempts} times (throttled)"
        )


def explain(exc: BotoCoreError) -> str:
    """botocore's error on one line, with what to do about it where that is known."""
    text = " ".join(str(exc).split())
    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run with an IAM role"
        )
    if isinstance(exc, PartialCredentialsError):
        return (
            f"incomplete AWS credentials ({text}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together"
        )
    if isinstance(exc, ProfileNotFound):
        return f"{text}: AWS_PROFILE must name a profile of the AWS config files"
    if isinstance(exc, NoRegionError):
        return "no AWS region: add ?region=eu-west-1 to the store URL or set AWS_REGION"
    if isinstance(exc, CredentialRetrievalError | TokenRetrievalError | SSOError):
        return f"AWS credentials could not be loaded: {text}"
    return text


def _snake(operation: str) -> str:
    """``UpdateItem`` -> ``update_item``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
