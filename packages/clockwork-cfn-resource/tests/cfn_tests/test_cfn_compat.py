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
from clockwork_cfn_resource.testing import ResponseServer, thaw
from clockwork_core.model import MissedFires, Policies, Schedule, Target
from clockwork_core.original_cron import compare
from clockwork_core.schedules import write_schedule
from clockwork_core.testing.support import T0
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend

from . import original as orig

LONG_NAME = "Do Accruals " + "x" * 288


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.fixture
def store_in(moto: Backend, places: tuple[str, str]) -> Iterator[DynamoDBStore]:
    """The clockwork table, empty."""
    with closing(orig.open_store(moto, places[1])) as store:
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
        answer = orig.send(sent, responses)
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
        first = orig.send(sent, responses)
        assert orig.send(sent, responses) == first
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
            answer = orig.send(sent, responses)
            assert answer["Status"] == "SUCCESS", answer
        schedule = migrated.get(orig.SAMPLE_ID).schedule
        assert schedule.name == "Foobar"
        assert "name" not in schedule.origin

    def test_clockwork_s_own_properties_are_still_checked(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        answer = orig.send(
            _update(original, responses.url(), Comment="x", TimeZone="Europe/Berln"), responses
        )
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
        answer = orig.send(sent, responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(
            "Comment: unknown property; did you mean 'Count'? known properties: "
        )
        assert migrated.get(orig.SAMPLE_ID).version == 1

    def test_a_compatibility_that_is_neither_fails_naming_it(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        answer = orig.send(_update(original, responses.url(), Compatibility="Lenient"), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == "Compatibility: 'Lenient' is not one of Original, Strict"


class TestANewResourceIsStrict:
    def test_a_create_with_a_property_clockwork_does_not_know_fails(
        self, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        original, _ = places
        declared = {**orig.properties(original), "Comment": "x"}
        answer = orig.send(orig.sample("Create", declared, responses.url()), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith(
            "Comment: unknown property; did you mean 'Count'? known properties: "
        )

    def test_compatibility_original_turns_it_on(
        self, moto: Backend, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        original, target = places
        declared = {**orig.properties(original), "Comment": "x", "Compatibility": "original"}
        answer = orig.send(orig.sample("Create", declared, responses.url()), responses)
        assert answer["Status"] == "SUCCESS", answer
        assert (
            answer["Reason"] == "Comment: ignored: not a clockwork property; aws-ecs-clockwork ignored it too"
        )
        with closing(orig.open_store(moto, target)) as store:
            assert store.get(answer["PhysicalResourceId"]).schedule.expression == "*/2 * * * *"


class TestCronTimeKeepsTheOriginalsMeaning:
    @pytest.mark.parametrize(
        "case",
        [
            ("*/2 * * *", "* */2 * * *", "fewer than 5 fields"),
            ("", "* * * * *", "an empty text"),
            ("0 0 * * * * 2026", "0 * * * *", "7 fields"),
            ("5/15 * * * *", "5 * * * *", "'5/15'"),
            ("0,30 * * * * ", "0,30 * * * * *", "a trailing space"),
            ("*/2  *  * * *", "*/2 * * * * *", "doubled spaces"),
        ],
    )
    def test_it_is_stored_in_clockwork_s_syntax_and_the_text_stays_in_the_origin(
        self,
        places: tuple[str, str],
        migrated: DynamoDBStore,
        responses: ResponseServer,
        caplog: pytest.LogCaptureFixture,
        case: tuple[str, str, str],
    ) -> None:
        original, _ = places
        text, stored, cause = case
        answer = orig.send(_update(original, responses.url(), CronTime=text), responses)
        assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", orig.SAMPLE_ID), answer
        # The cause is original_cron's to word; the line names it.
        meaning = compare(text, now=T0, schedule_id=orig.SAMPLE_ID)
        assert meaning is not None
        assert meaning.why.startswith(cause)
        line = (
            f"CronTime: {text!r} kept with aws-ecs-clockwork's meaning, stored as {stored!r} ({meaning.why})"
        )
        assert answer["Reason"] == line
        assert _warnings(caplog) == [f"schedule {orig.SAMPLE_ID}: {line}"]
        schedule = migrated.get(orig.SAMPLE_ID).schedule
        assert schedule.expression == stored
        assert (schedule.origin["cron_time"], schedule.origin["meaning"]) == (text, "original")

    def test_a_replay_and_a_delete_with_the_same_text_find_it(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        sent = _update(original, responses.url(), CronTime="*/2 * * *")
        assert orig.send(sent, responses)["Status"] == "SUCCESS"
        assert orig.send(sent, responses)["Status"] == "SUCCESS"
        assert migrated.get(orig.SAMPLE_ID).version == 2
        # The next Update's old properties hold the text, not what was stored.
        old = sent["ResourceProperties"]
        again = orig.sample(
            "Update", {**old, "Name": "Foo"}, responses.url(), physical_id=orig.SAMPLE_ID, old=old
        )
        assert orig.send(again, responses)["Status"] == "SUCCESS"
        gone = orig.sample("Delete", again["ResourceProperties"], responses.url(), physical_id=orig.SAMPLE_ID)
        assert orig.send(gone, responses)["Status"] == "SUCCESS"
        assert list(migrated.list()) == []

    def test_a_rollback_to_a_text_clockwork_reads_alike_stores_the_text(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        sent = _update(original, responses.url(), CronTime="5/15 * * * *")
        assert orig.send(sent, responses)["Status"] == "SUCCESS"
        back = orig.sample(
            "Update",
            sent["OldResourceProperties"],
            responses.url(),
            physical_id=orig.SAMPLE_ID,
            old=sent["ResourceProperties"],
        )
        answer = orig.send(back, responses)
        assert (answer["Status"], answer.get("Reason")) == ("SUCCESS", None), answer
        schedule = migrated.get(orig.SAMPLE_ID).schedule
        assert schedule.expression == "*/2 * * * *"
        assert "cron_time" not in schedule.origin

    def test_a_text_the_original_s_lambda_refused_is_judged_by_clockwork(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        """The original never stored such a text: there is no meaning of its own to keep."""
        original, _ = places
        answer = orig.send(_update(original, responses.url(), CronTime="0 25 * * *", Comment="x"), responses)
        assert answer["Status"] == "FAILED"
        assert answer["Reason"] == "CronTime: '0 25 * * *': hour 25 is out of range 0-23"
        assert migrated.get(orig.SAMPLE_ID).version == 1
        answer = orig.send(_update(original, responses.url(), CronTime="0 2 L * *"), responses)
        assert (answer["Status"], answer.get("Reason")) == ("SUCCESS", None), answer
        schedule = migrated.get(orig.SAMPLE_ID).schedule
        assert schedule.expression == "0 2 L * *"
        assert "cron_time" not in schedule.origin

    def test_with_compatibility_strict_clockwork_reads_it(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        sent = _update(original, responses.url(), CronTime="0 2 L * *", Compatibility="Strict")
        answer = orig.send(sent, responses)
        assert (answer["Status"], answer.get("Reason")) == ("SUCCESS", None), answer
        assert migrated.get(orig.SAMPLE_ID).schedule.expression == "0 2 L * *"

    def test_a_text_the_original_s_worker_never_fired_is_read_as_clockwork_reads_it(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        answer = orig.send(_update(original, responses.url(), CronTime="0 0 * * sun"), responses)
        assert answer["Status"] == "SUCCESS", answer
        assert answer["Reason"].startswith(
            "CronTime: '0 0 * * sun': aws-ecs-clockwork's worker never fired it (the worker's cron-parser "
            '0.6.2 refuses it: Cannot resolve alias "sun"'
        )
        assert answer["Reason"].endswith("; read as clockwork reads it")
        assert migrated.get(orig.SAMPLE_ID).schedule.expression == "0 0 * * sun"

    def test_a_new_resource_with_four_fields_fails(
        self, places: tuple[str, str], responses: ResponseServer
    ) -> None:
        original, _ = places
        answer = orig.send(
            orig.sample("Create", orig.properties(original, CronTime="*/2 * * *"), responses.url()), responses
        )
        assert answer["Status"] == "FAILED"
        assert answer["Reason"].startswith("CronTime: '*/2 * * *': ")


class TestWhatTheMigrationDecided:
    """Schedules written as ``clockwork dynamodb migrate`` writes them when told which meaning to
    keep, or to keep the original's startedBy and missed-fire behaviour (written here directly)."""

    def _migrated(self, store: DynamoDBStore, original: str, **fields: Any) -> None:
        origin = {"kind": "aws-ecs-clockwork", "table": original, **fields.pop("origin", {})}
        schedule = Schedule(
            id=orig.SAMPLE_ID,
            name="Foobar",
            expression=fields.pop("expression", "*/2 * * * *"),
            target=Target(
                "ecs",
                {
                    "task_definition": "TaskDefinitionArn",
                    "cluster": "ECSClusterArn",
                    **fields.pop("params", {}),
                },
            ),
            origin=origin,
            **fields,
        )
        write_schedule(store, schedule.id, lambda _stored: schedule, now=T0)

    def test_the_meaning_the_migration_chose_is_kept(
        self, places: tuple[str, str], store_in: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        self._migrated(
            store_in,
            original,
            expression="5/15 * * * *",
            origin={"cron_time": "5/15 * * * *", "meaning": "clockwork"},
        )
        old = orig.properties(original, CronTime="5/15 * * * *")
        new = {**old, "Name": "Accruals"}
        answer = orig.send(
            orig.sample("Update", new, responses.url(), physical_id=orig.SAMPLE_ID, old=old), responses
        )
        assert answer["Status"] == "SUCCESS", answer
        meaning = compare("5/15 * * * *", now=T0, schedule_id=orig.SAMPLE_ID)
        assert meaning is not None
        assert answer["Reason"] == (
            f"CronTime: '5/15 * * * *' read as clockwork reads it, as the migration chose ({meaning.why})"
        )
        schedule = store_in.get(orig.SAMPLE_ID).schedule
        assert (schedule.expression, schedule.name) == ("5/15 * * * *", "Accruals")
        assert schedule.origin["meaning"] == "clockwork"

    def test_its_launch_settings_and_missed_fire_policy_stay(
        self, places: tuple[str, str], store_in: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        handover = {"until": "2026-03-09T00:00:00Z"}
        self._migrated(
            store_in,
            original,
            params={"started_by": "ecs-aws-clockwork", "handover": handover},
            policies=Policies(missed_fires=MissedFires.SKIP),
        )
        sent = _update(original, responses.url(), CronTime="*/3 * * * *", LaunchType="FARGATE")
        assert orig.send(sent, responses)["Status"] == "SUCCESS"
        schedule = store_in.get(orig.SAMPLE_ID).schedule
        params = thaw(schedule.target.params)
        assert (params["started_by"], params["handover"], params["launch_type"]) == (
            "ecs-aws-clockwork",
            handover,
            "FARGATE",
        )
        assert schedule.policies.missed_fires is MissedFires.SKIP
        given = orig.sample(
            "Update",
            {**sent["ResourceProperties"], "MissedFirePolicy": "Latest"},
            responses.url(),
            physical_id=orig.SAMPLE_ID,
            old=sent["ResourceProperties"],
        )
        assert orig.send(given, responses)["Status"] == "SUCCESS"
        assert store_in.get(orig.SAMPLE_ID).schedule.policies.missed_fires is MissedFires.LATEST


class TestTheWarnings:
    def test_a_typo_is_named_and_a_long_unknown_name_is_shown_cut_short(
        self, places: tuple[str, str], migrated: DynamoDBStore, responses: ResponseServer
    ) -> None:
        original, _ = places
        sent = _update(original, responses.url(), TimeZon="Europe/Paris", **{"N" * 300: "x"})
        answer = orig.send(sent, responses)
        assert answer["Status"] == "SUCCESS", answer
        assert answer["Reason"].split("\n") == [
            "TimeZon: ignored: not a clockwork property (did you mean 'TimeZone'?); aws-ecs-clockwork "
            "ignored it too",
            f"{'N' * 97}...: ignored: not a clockwork property; aws-ecs-clockwork ignored it too",
        ]
        assert migrated.get(orig.SAMPLE_ID).schedule.timezone == "UTC"
