"""ECS's refusals in clockwork's terms: transient (retried with backoff) or permanent.

Two ways ECS says no:

* an HTTP 200 ``RunTask`` answer whose ``failures[]`` name a reason and no task started;
* an exception (an HTTP 4xx/5xx with an error code), or no answer at all.

=====================================  ===========  ==========================================
what ECS says                          kind         why
=====================================  ===========  ==========================================
failure ``RESOURCE:CPU`` / ``MEMORY``  transient    the cluster is full now; tasks end, it
/ ``PORTS`` / ``ENI`` / ``GPU``                     scales out
failure ``AGENT``                      transient    an agent is disconnected for a while
failure "Capacity is unavailable ..."  transient    Fargate has no capacity in the AZ now
failure ``MISSING``                    permanent    the task definition (or instance) is gone
failure ``INACTIVE``                   permanent    deregistered: a retry meets it again
failure ``ATTRIBUTE``                  permanent    no instance can ever satisfy a constraint
any other failure reason               transient    unknown: the retry policy bounds it
``ThrottlingException``                transient    the bucket also holds off (see bucket)
``ServerException``, any 5xx           transient
connection errors, time-outs           transient    the same ``clientToken`` makes it safe
``ClientException``                    permanent    unless it speaks of capacity or rate
``InvalidParameterException``          permanent
``AccessDeniedException``              permanent
``ClusterNotFoundException``           permanent
``Platform...``, ``Unsupported...``    permanent
any other error code                   permanent    ECS's own message says what to fix
=====================================  ===========  ==========================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from clockwork_core.errors import LaunchError, PermanentLaunchError, TransientLaunchError

TRANSIENT_FAILURES = ("RESOURCE:", "AGENT")
PERMANENT_FAILURES = ("MISSING", "INACTIVE", "ATTRIBUTE")
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "ServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "ExpiredTokenException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded"}
)
#: Words in a ClientException's message that make it a passing condition.
PASSING_WORDS = ("capacity is unavailable", "rate exceeded", "throttl", "try again")


def failure_error(failures: Sequence[Mapping[str, Any]]) -> LaunchError:
    """The error for a RunTask answer that started no task, from its ``failures[]``.

    Transient if any failure is; the reason quotes every failure as ECS wrote it.
    """
    reasons = [_failure_text(failure) for failure in failures] or ["RunTask started no task"]
    transient = not failures or any(_transient_failure(str(f.get("reason", ""))) for f in failures)
    first = str(failures[0].get("reason", "")) if failures else ""
    code = first.split(" ", 1)[0].rstrip(".").lower() or "no_task"
    reason = "ECS RunTask failed: " + "; ".join(reasons)
    if transient:
        return TransientLaunchError(reason, code=f"ecs_{_slug(code)}")
    return PermanentLaunchError(reason, code=f"ecs_{_slug(code)}")


def _transient_failure(reason: str) -> bool:
    upper = reason.upper()
    if upper.startswith(TRANSIENT_FAILURES) or "CAPACITY IS UNAVAILABLE" in upper:
        return True
    return not upper.startswith(PERMANENT_FAILURES)


def _failure_text(failure: Mapping[str, Any]) -> str:
    text = str(failure.get("reason", "unknown reason"))
    if failure.get("detail"):
        text += f" ({failure['detail']})"
    if failure.get("arn"):
        text += f" [{failure['arn']}]"
    return text


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_") or "error"


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "") or "")


def is_throttling(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in THROTTLING_CODES


def exception_error(exc: Exception, operation: str = "RunTask") -> LaunchError:
    """The launch error for an exception from the ECS client."""
    if isinstance(exc, ClientError):
        code = error_code(exc) or "error"
        message = str(exc.response.get("Error", {}).get("Message", "") or exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        reason = f"ECS {operation} failed: {code}: {message}"
        transient = (
            code in TRANSIENT_CODES
            or status >= 500
            or (code == "ClientException" and any(w in message.lower() for w in PASSING_WORDS))
        )
        kind = TransientLaunchError if transient else PermanentLaunchError
        return kind(reason, code=f"ecs_{_slug(code)}")
    if isinstance(exc, NoCredentialsError):
        return TransientLaunchError(f"ECS {operation}: no AWS credentials ({exc})", code="ecs_no_credentials")
    if isinstance(exc, BotoCoreError):
        return TransientLaunchError(f"ECS {operation} did not answer: {exc}", code="ecs_unreachable")
    return TransientLaunchError(f"ECS {operation} failed: {exc!r}", code="ecs_error")
