"""Compatibility mode: what stacks written for the original aws-ecs-clockwork declare, kept.

The schedule is migrated from an original-shaped table (as in ``test_cfn_migrated.py``);
the stack's requests then carry values the original accepted and clockwork's strict mode
refuses. DynamoDB is moto's server; the answers go to a real local HTTP server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.testing import LambdaContext, ResponseServer, thaw
from clockwork_core.testing.support import T0
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend

from . import original as orig

LONG_NAME = "Do Accruals " + "x" * 288


def _send(sent: dict[str, Any], responses: ResponseServer) -> dict[str, Any]:
    count = len(responses.received) + 1
    handler(sent, LambdaContext(timeout=30))
    received = responses.wait(count)
    assert len(received) == count
    return received[-1].document


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.fixture
def places(moto: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    with orig.tables(moto) as (original, target):
        monkeypatch.setenv("CLOCKWORK_MIGRATED_TABLES", f"{original}={target}")
        yield original, target


@pytest.fixture
def migrated(moto: Backend, places: tuple[str, str]) -> Iterator[DynamoDBStore]:
    original, target = places
    orig.put_item(moto, original, orig.SAMPLE_ID, orig.properties(original), now=T0)
    with closing(orig.open_store(moto, target)) as store:
        orig.run_migration(moto, original, store, now=T0)
        yield store


def _update(original: str, url: str, **changes: str) -> dict[str, Any]:
    old = orig.properties(original)
    new = {**old, **changes}
    return orig.sample("Update", new, url, physical_id=orig.SAMPLE_ID, old=old)


class TestAMigratedScheduleKeepsWhatTheOriginalAccepted:
    def test_each_kept_value_is_one_line_of_the_reason_and_a_warning_in_the_log(
        self,
        places: tuple[str, str],
        migrated: DynamoDBStore,
        responses: ResponseServer,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        original, _ = places
        sent = _update(
            original,
            responses.url(),
            Comment="runs the accruals",
            Name=LONG_NAME,
            TaskDefinitionArn="arn:aws:ecs:eu-west-1:123:task-definition/accruals:3",
        )
        answer = _send(sent, responses)
        assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", orig.SAMPLE_ID), answer
        lines = [
            "Comment: ignored: not a clockwork property; aws-ecs-clockwork ignored it too",
            "Name: 300 characters: stored cut to the first 255; the whole name is kept in the "
            "schedule's origin",
            "TaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123:task-definition/accruals:3' kept as written, "
            "though it is no ECS name or ARN: each fire will fail (and be recorded), as "
            "aws-ecs-clockwork's did",
        ]
        assert answer["Reason"].split("\n") == lines
        assert _warnings(caplog) == [f"schedule {orig.SAMPLE_ID}: {line}" for line in lines]
        schedule = migrated.get(orig.SAMPLE_ID).schedule
        assert schedule.name == LONG_NAME[:255]
        assert schedule.origin["name"] == LONG_NAME
        params = thaw(schedule.target.params)
        assert params["task_definition"] == "arn:aws:ecs:eu-west-1:123:task-definition/accruals:3"
        assert params["cluster"] == "ECSClusterArn"

    def test_a_replay_keeps_the_same_and_writes_nothing_more(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        sent = _update(original, responses.url(), Comment="runs the accruals", Name=LONG_NAME)
        first = _send(sent, responses)
        assert _send(sent, responses) == first
        assert first["Status"] == "SUCCESS", first
        assert migrated.get(orig.SAMPLE_ID).version == 2

    def test_its_rollback_is_kept_too(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        old = {**orig.properties(original), "Comment": "v1"}
        new = {**old, "Comment": "v2", "Name": LONG_NAME}
        for before, after in ((old, new), (new, old)):
            sent = orig.sample("Update", after, responses.url(), physical_id=orig.SAMPLE_ID, old=before)
            answer = _send(sent, responses)
            assert answer["Status"] == "SUCCESS", answer
        schedule = migrated.get(orig.SAMPLE_ID).schedule
        assert schedule.name == "Foobar"
        assert "name" not in schedule.origin

    def test_clockwork_s_own_properties_are_still_checked(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        answer = _send(_update(original, responses.url(), Comment="x", TimeZone="Europe/Berln"), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == (
            "TimeZone: unknown time zone 'Europe/Berln' (use an IANA name such as 'Europe/Berlin')"
        )
        assert migrated.get(orig.SAMPLE_ID).version == 1

    def test_compatibility_strict_turns_it_off(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        sent = _update(original, responses.url(), Comment="x", Compatibility="Strict")
        answer = _send(sent, responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(
            "Comment: unknown property; did you mean 'Count'? known properties: "
        )
        assert migrated.get(orig.SAMPLE_ID).version == 1

    def test_a_compatibility_that_is_neither_fails_naming_it(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        answer = _send(_update(original, responses.url(), Compatibility="Lenient"), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == "Compatibility: 'Lenient' is not one of Original, Strict"


class TestANewResourceIsStrict:
    def test_a_create_with_a_property_clockwork_does_not_know_fails(
        self, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        original, _ = places
        declared = {**orig.properties(original), "Comment": "x"}
        answer = _send(orig.sample("Create", declared, responses.url()), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(
            "Comment: unknown property; did you mean 'Count'? known properties: "
        )

    def test_compatibility_original_turns_it_on(
        self, moto: Backend, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        original, target = places
        declared = {**orig.properties(original), "Comment": "x", "Compatibility": "original"}
        answer = _send(orig.sample("Create", declared, responses.url()), responses)
        assert answer["Status"] == "SUCCESS", answer
        assert (
            answer["Reason"] == "Comment: ignored: not a clockwork property; aws-ecs-clockwork ignored it too"
        )
        with closing(orig.open_store(moto, target)) as store:
            assert store.get(answer["PhysicalResourceId"]).schedule.expression == "*/2 * * * *"
