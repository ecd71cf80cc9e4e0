"""The response always reaches CloudFormation: when DynamoDB hangs, refuses, or answers
garbage; over https; through a flaky response endpoint; with a reason too long to fit."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from urllib.parse import urlsplit

import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.response import MAX_BODY
from clockwork_cfn_resource.testing import (
    LambdaContext,
    ResponseServer,
    SilentEndpoint,
    event,
    original_properties,
)
from clockwork_core.store import Store


@pytest.fixture
def garbage_endpoint() -> Iterator[str]:
    """Answers every request with 200 and a body that is not JSON."""

    class Garbage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = b"<html>not dynamodb</html>"
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class TestAnUnansweringDynamoDB:
    def test_a_silent_endpoint_fails_the_resource_before_the_lambda_times_out(
        self, table: str, responses: ResponseServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        silent = SilentEndpoint()
        monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", silent.url)
        context = LambdaContext(timeout=8)
        try:
            handler(event("Create", original_properties(table), responses.url()), context)
            [received] = responses.wait(1)
            left = context.get_remaining_time_in_millis()
        finally:
            silent.close()
        answer = received.document
        assert answer["Status"] == "FAILED"
        assert table in answer["Reason"]
        assert left > 0, "the response came after the Lambda's time ran out"

    def test_a_call_that_never_ends_is_cut_off_by_the_deadline(
        self, table: str, store: Store, responses: ResponseServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dripping = SilentEndpoint(drip=True)
        monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", dripping.url)
        context = LambdaContext(timeout=6)
        try:
            handler(event("Create", original_properties(table), responses.url()), context)
            [received] = responses.wait(1)
            left = context.get_remaining_time_in_millis()
        finally:
            dripping.close()
        answer = received.document
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(f"timed out: DynamoDB table {table!r} did not answer in time")
        assert left > 0
        time.sleep(0.5)  # the abandoned request thread may not write after the answer
        assert list(store.list()) == []

    def test_a_refused_connection_fails_with_the_store_error(
        self, table: str, responses: ResponseServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", closed_port())
        handler(event("Create", original_properties(table), responses.url()), LambdaContext(timeout=20))
        [received] = responses.wait(1)
        assert received.document["Status"] == "FAILED"
        assert received.document["Reason"].startswith(
            f"DynamoDB DescribeTable on table {table!r} failed 3 times"
        )

    def test_a_delete_while_dynamodb_is_unreachable_fails_rather_than_leave_a_schedule(
        self, table: str, responses: ResponseServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", closed_port())
        sent = event(
            "Delete", original_properties(table), responses.url(), physical_id="cfn-orders-Job-0a1b2c3d4e5f"
        )
        handler(sent, LambdaContext(timeout=20))
        [received] = responses.wait(1)
        assert received.document["Status"] == "FAILED"
        assert received.document["PhysicalResourceId"] == "cfn-orders-Job-0a1b2c3d4e5f"

    def test_an_exception_in_the_handler_still_answers(
        self, table: str, responses: ResponseServer, garbage_endpoint: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CLOCKWORK_DYNAMODB_ENDPOINT_URL", garbage_endpoint)
        handler(event("Create", original_properties(table), responses.url()), LambdaContext(timeout=20))
        [received] = responses.wait(1)
        assert received.document["Status"] == "FAILED"
        assert received.document["Reason"].startswith("unexpected error (")


class TestTheResponse:
    def test_it_is_put_to_the_presigned_url_as_s3_expects(
        self, table: str, responses: ResponseServer
    ) -> None:
        sent = event("Create", original_properties(table), responses.url("arn%3Aaws/abc"))
        returned = handler(sent, LambdaContext(timeout=20))
        [received] = responses.wait(1)
        url = urlsplit(sent["ResponseURL"])
        assert received.path == f"{url.path}?{url.query}"
        assert received.headers["Content-Type"] == ""
        assert int(received.headers["Content-Length"]) == len(received.body)
        assert received.document == returned
        assert set(returned) == {
            "Status",
            "PhysicalResourceId",
            "StackId",
            "RequestId",
            "LogicalResourceId",
            "NoEcho",
            "Data",
        }
        assert (returned["StackId"], returned["RequestId"], returned["LogicalResourceId"]) == (
            sent["StackId"],
            sent["RequestId"],
            sent["LogicalResourceId"],
        )

    def test_it_goes_over_https_when_the_url_says_so(self, table: str, tls_responses: ResponseServer) -> None:
        url = tls_responses.url()
        assert url.startswith("https://")
        handler(event("Create", original_properties(table), url), LambdaContext(timeout=20))
        [received] = tls_responses.wait(1)
        assert received.document["Status"] == "SUCCESS"

    def test_a_failing_response_endpoint_is_tried_again(self, table: str) -> None:
        flaky = ResponseServer(fail_first=2)
        try:
            handler(event("Create", original_properties(table), flaky.url()), LambdaContext(timeout=20))
            received = flaky.wait(1)
        finally:
            flaky.close()
        assert [r.document["Status"] for r in received] == ["SUCCESS"]

    def test_a_long_reason_is_cut_to_fit_the_limit(self, table: str, responses: ResponseServer) -> None:
        typos = {f"Unknown{i:03d}{'x' * 60}": "1" for i in range(100)}
        handler(
            event("Create", {**original_properties(table), **typos}, responses.url()),
            LambdaContext(timeout=20),
        )
        [received] = responses.wait(1)
        assert len(received.body) <= MAX_BODY
        assert MAX_BODY - len(received.body) < 16  # cut to fit, not cut short
        document = json.loads(received.body)
        assert document["Status"] == "FAILED"
        assert document["Reason"].startswith("Unknown000")
        assert document["Reason"].endswith(" [...]")

    def test_an_event_without_a_response_url_is_answered_in_the_return_value_only(self, table: str) -> None:
        sent = event("Create", {**original_properties(table), "CronTime": "bad"}, "unused")
        del sent["ResponseURL"]
        assert handler(sent, LambdaContext(timeout=20))["Status"] == "FAILED"
