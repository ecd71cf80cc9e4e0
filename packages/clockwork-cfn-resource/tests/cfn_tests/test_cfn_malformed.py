"""Events CloudFormation would never send: the handler neither raises nor writes half.

* An event that is not a mapping: one log line, no exception (there is nothing to answer).
* A ResponseURL that cannot be used (malformed, not http(s), missing): nothing is written,
  one log line; before, the schedule was written and then the handler raised.
* Echoed fields (StackId, RequestId, LogicalResourceId, PhysicalResourceId) that are not
  text or are longer than CloudFormation's own: FAILED, nothing written; the response stays
  under 4,096 bytes however long they are.
* Properties nested deeper than 32 levels: FAILED naming the property (``repr`` of such a
  value used to raise RecursionError).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from clockwork_cfn_resource import response
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.response import MAX_BODY, Response
from clockwork_cfn_resource.testing import LambdaContext, ResponseServer, event, original_properties
from clockwork_core.store import Store


def nested(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = [value]
    return value


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


class TestAnEventThatIsNotAMapping:
    @pytest.mark.parametrize("sent", [[], ["Create"], "Create", None, 42, nested(5000)])
    def test_it_is_logged_in_one_line_and_the_handler_returns(
        self, sent: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        assert handler(sent, LambdaContext(timeout=20)) == {}
        [message] = _errors(caplog)
        assert message.startswith(f"the event is not a mapping (got {type(sent).__name__}): ")
        assert "\n" not in message


class TestAnUnusableResponseURL:
    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://[::1", "Invalid IPv6 URL"),
            ("http://[::1]:99999/response", "Port out of range"),
            ("http://127.0.0.1:99999/response", "Port out of range"),
            ("ftp://127.0.0.1/response", "is not an http(s) URL"),
            ("http:///response", "is not an http(s) URL"),
            ("not a url", "is not an http(s) URL"),
            (42, "is not text"),
            (None, "is missing"),
        ],
    )
    def test_nothing_is_written_and_one_line_is_logged(
        self, table: str, store: Store, url: object, reason: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        sent = event("Create", original_properties(table), "unused")
        if url is None:
            del sent["ResponseURL"]
        else:
            sent["ResponseURL"] = url
        returned = handler(sent, LambdaContext(timeout=20))
        assert list(store.list()) == [], "a schedule was written though no answer can be sent"
        assert returned["Status"] == "FAILED"
        [message] = _errors(caplog)
        assert message.startswith("ResponseURL ")
        assert reason in message
        assert message.endswith("no response can be sent; nothing was written")


class TestEchoedFields:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("LogicalResourceId", "L" * 10_000),
            ("StackId", "arn:aws:cloudformation:us-east-1:123456789012:stack/s/" + "x" * 10_000),
            ("RequestId", "r" * 10_000),
            ("LogicalResourceId", 42),
            ("RequestId", ["a", "b"]),
            ("StackId", nested(5000)),
        ],
    )
    def test_a_field_cloudformation_would_never_send_fails_without_writing(
        self, table: str, store: Store, responses: ResponseServer, field: str, value: object
    ) -> None:
        sent = event("Create", original_properties(table), responses.url())
        sent[field] = value
        handler(sent, LambdaContext(timeout=20))
        [received] = responses.wait(1)
        assert len(received.body) <= MAX_BODY
        answer = received.document
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(f"{field}: ")
        assert list(store.list()) == []

    def test_a_long_physical_id_of_a_delete_fails_under_the_limit(
        self, table: str, store: Store, responses: ResponseServer
    ) -> None:
        sent = event("Delete", original_properties(table), responses.url(), physical_id="p" * 5000)
        handler(sent, LambdaContext(timeout=20))
        [received] = responses.wait(1)
        assert len(received.body) <= MAX_BODY
        assert received.document["Reason"].startswith("PhysicalResourceId: ")


class TestTheBodyLimit:
    def test_ids_longer_than_cloudformation_s_are_cut_first_then_the_reason(self) -> None:
        sent = {"StackId": "s" * 3000, "RequestId": "r" * 3000, "LogicalResourceId": "l" * 3000}
        body = response.body(sent, Response("FAILED", "p" * 3000, "why " * 1000))
        assert MAX_BODY - 16 < len(body) <= MAX_BODY
        document = json.loads(body)
        assert document["Status"] == "FAILED"
        assert document["LogicalResourceId"] == "l" * (255 - len(response.CUT)) + response.CUT
        for key in ("StackId", "RequestId", "PhysicalResourceId"):
            assert len(document[key]) == 1024
        assert document["Reason"].startswith("why why ")
        assert document["Reason"].endswith(response.CUT)

    def test_ids_are_cut_further_when_a_small_limit_needs_it(self) -> None:
        sent = {"StackId": "s" * 1000, "RequestId": "r" * 1000, "LogicalResourceId": "l" * 200}
        body = response.body(sent, Response("FAILED", "p" * 1000, "why " * 100), limit=1500)
        assert 1500 - 16 < len(body) <= 1500
        document = json.loads(body)
        assert document["Reason"] == response.CUT
        assert document["LogicalResourceId"] == response.CUT
        assert document["RequestId"] == "r" * 1000, "the last to be cut"

    def test_a_body_that_fits_is_left_whole(self) -> None:
        sent = {"StackId": "s", "RequestId": "r", "LogicalResourceId": "l"}
        document = json.loads(response.body(sent, Response("SUCCESS", "p", "", {"ScheduleId": "p"})))
        assert (document["StackId"], document["RequestId"], document["LogicalResourceId"]) == ("s", "r", "l")


class TestDeepProperties:
    @pytest.mark.parametrize("name", ["Overrides", "CronTime", "Tags", "NetworkConfiguration", "Name"])
    def test_a_property_nested_too_deep_fails_naming_it(
        self, table: str, store: Store, responses: ResponseServer, name: str
    ) -> None:
        properties = {**original_properties(table), name: nested(5000)}
        handler(event("Create", properties, responses.url()), LambdaContext(timeout=20))
        [received] = responses.wait(1)
        answer = received.document
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == f"{name}: nests deeper than 32 levels of lists and mappings"
        assert list(store.list()) == []

    def test_a_wrong_value_is_shown_short_whatever_its_depth(
        self, table: str, responses: ResponseServer
    ) -> None:
        properties = {**original_properties(table), "CronTime": nested(20)}
        handler(event("Create", properties, responses.url()), LambdaContext(timeout=20))
        [received] = responses.wait(1)
        reason = received.document["Reason"]
        assert reason.startswith("CronTime: expected text, got [[[[")
        assert len(reason) < 120


class TestNumbers:
    @pytest.mark.parametrize(
        "case",
        [
            ("Count", "\u0663", "Count: expected a whole number, got '\u0663'"),
            ("Count", "\uff11", "Count: expected a whole number, got '\uff11'"),
            ("JitterSeconds", "\u0663", "JitterSeconds: expected a whole number, got '\u0663'"),
            (
                "JitterSeconds",
                10**400,
                "JitterSeconds: 100000000000000000...0000000000000000000 seconds is far too long",
            ),
            (
                "RetryPolicy",
                {"Multiplier": "\u0663"},
                "RetryPolicy.Multiplier: expected a number, got '\u0663'",
            ),
            ("RetryPolicy", {"Multiplier": 10**400}, "RetryPolicy.Multiplier: expected a number, got 10000"),
        ],
    )
    def test_only_ascii_digits_and_floats_that_exist_are_numbers(
        self, table: str, store: Store, responses: ResponseServer, case: tuple[str, object, str]
    ) -> None:
        name, value, reason = case
        properties = {**original_properties(table), name: value}
        handler(event("Create", properties, responses.url()), LambdaContext(timeout=20))
        [received] = responses.wait(1)
        assert received.document["Status"] == "FAILED"
        assert received.document["Reason"].startswith(reason)
        assert list(store.list()) == []
