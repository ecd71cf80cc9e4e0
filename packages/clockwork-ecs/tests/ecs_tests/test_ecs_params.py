"""Target parameters are checked where they enter, and the fire marks its request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clockwork_core.errors import InvalidValue
from clockwork_core.model import Trigger
from clockwork_ecs.bucket import EC2, FARGATE
from clockwork_ecs.fire import client_token, run_task_request, started_by, with_environment
from clockwork_ecs.handover import Handover
from clockwork_ecs.params import parse_params

from .support import fire

BASE: dict[str, Any] = {"cluster": "jobs", "task_definition": "backup"}
VPC = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


class TestValidation:
    @pytest.mark.parametrize(
        "definition",
        ["backup", "backup:7", "arn:aws:ecs:eu-west-1:123456789012:task-definition/backup:7"],
    )
    def test_it_accepts_a_family_a_revision_or_an_arn(self, definition: str) -> None:
        assert parse_params({**BASE, "task_definition": definition}).task_definition == definition

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"cluster": None}, "target.params.cluster"),
            ({"task_definition": "two words"}, "target.params.task_definition"),
            ({"count": 0}, "target.params.count"),
            ({"count": True}, "target.params.count"),
            ({"launch_type": "fargate"}, "target.params.launch_type"),
            (
                {"network_configuration": {"subnets": ["subnet-1"]}},
                "target.params.network_configuration.subnets",
            ),
            (
                {
                    "network_configuration": {
                        "awsvpcConfiguration": {"subnets": ["s"], "assignPublicIp": "YES"}
                    }
                },
                "target.params.network_configuration.awsvpcConfiguration.assignPublicIp",
            ),
            (
                {"placement_constraints": [{"type": "anywhere"}]},
                "target.params.placement_constraints[0].type",
            ),
            ({"placement_strategy": [{"field": "cpu"}]}, "target.params.placement_strategy[0].type"),
            (
                {"overrides": {"containerOverrides": [{"name": "main", "cpu": "lots"}]}},
                "target.params.overrides.containerOverrides[0].cpu",
            ),
            ({"overrides": {"taskRole": "x"}}, "target.params.overrides.taskRole"),
            ({"tags": {"clockwork:fire-key": "x"}}, "target.params.tags.clockwork:fire-key"),
            ({"propagate_tags": "ALL"}, "target.params.propagate_tags"),
            ({"enable_execute_command": "yes"}, "target.params.enable_execute_command"),
            ({"region": "Europe"}, "target.params.region"),
            ({"endpoint_url": "ftp://x"}, "target.params.endpoint_url"),
            (
                {"launch_type": "EC2", "capacity_provider_strategy": [{"capacityProvider": "FARGATE"}]},
                "target.params.capacity_provider_strategy",
            ),
            ({"started_by": "x" * 37}, "target.params.started_by"),
            ({"started_by": "ecs aws clockwork"}, "target.params.started_by"),
            ({"started_by": ""}, "target.params.started_by"),
            ({"started_by": 7}, "target.params.started_by"),
        ],
    )
    def test_it_rejects_a_bad_value_naming_its_field(self, changes: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidValue) as caught:
            parse_params({**BASE, **changes})
        assert caught.value.field == field
        assert caught.value.reason

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"containerOverrides": [{"name": "main", "environment": {"PASSWORD": 12345}}]},
             "target.params.overrides.containerOverrides[0].environment.PASSWORD"),
            ({"containerOverrides": [{"name": "main", "environment": "PASSWORD=12345"}]},
             "target.params.overrides.containerOverrides[0].environment"),
            ({"containerOverrides": {"name": "main", "environment": {"PASSWORD": "12345"}}},
             "target.params.overrides.containerOverrides"),
            ([{"containerOverrides": [{"name": "main", "environment": {"PASSWORD": "12345"}}]}],
             "target.params.overrides"),
        ],
        ids=["a value that is not text", "an environment that is text", "overrides that are not a list",
             "overrides that are a list"],
    )  # fmt: skip
    def test_an_error_never_shows_an_environment_value(self, overrides: Any, field: str) -> None:
        """Errors reach logs and run records; an environment holds secrets."""
        with pytest.raises(InvalidValue) as caught:
            parse_params({**BASE, "overrides": overrides})
        assert caught.value.field == field
        assert "12345" not in str(caught.value)

    def test_it_takes_the_environment_as_a_list_or_a_mapping(self) -> None:
        as_list = {"containerOverrides": [{"name": "main", "environment": [{"name": "A", "value": "1"}]}]}
        as_map = {"containerOverrides": [{"name": "main", "environment": {"A": "1"}}]}
        assert parse_params({**BASE, "overrides": as_list}) == parse_params({**BASE, "overrides": as_map})

    @pytest.mark.parametrize(
        ("changes", "kind"),
        [
            ({"launch_type": "FARGATE"}, FARGATE),
            ({"launch_type": "EC2"}, EC2),
            ({"capacity_provider_strategy": [{"capacityProvider": "FARGATE_SPOT"}]}, FARGATE),
            ({"capacity_provider_strategy": [{"capacityProvider": "my-asg"}]}, EC2),
            ({}, FARGATE),
        ],
    )
    def test_it_counts_each_launch_against_the_right_ecs_quota(
        self, changes: dict[str, Any], kind: str
    ) -> None:
        assert parse_params({**BASE, **changes}).kind == kind


class TestFireMarks:
    def test_the_client_token_and_started_by_fit_ecs_limits_and_follow_the_key(self) -> None:
        request = fire(BASE)
        assert len(client_token(request.key)) <= 64
        assert len(started_by(request.key)) == 36
        assert client_token(request.key).endswith(request.key)
        assert client_token(fire(BASE, schedule_id="a").key) != client_token(fire(BASE, schedule_id="b").key)
        assert client_token(fire(BASE, schedule_id="a").key) == client_token(
            fire(BASE, schedule_id="a", attempt=3).key
        )

    def test_every_container_gets_the_fire_variables_over_the_users(self) -> None:
        overrides = {
            "containerOverrides": [
                {
                    "name": "main",
                    "environment": [{"name": "CLOCKWORK_RUN_ID", "value": "x"}, {"name": "A", "value": "1"}],
                }
            ]
        }
        fire_env = {"CLOCKWORK_RUN_ID": "r", "CLOCKWORK_SCHEDULE_ID": "s", "CLOCKWORK_FIRE_TIME": "t"}
        merged = with_environment(overrides, ["main", "sidecar"], fire_env)
        by_name = {
            c["name"]: {e["name"]: e["value"] for e in c["environment"]} for c in merged["containerOverrides"]
        }
        assert by_name == {"main": {"A": "1", **fire_env}, "sidecar": fire_env}

    def test_a_configured_started_by_replaces_the_keys_and_the_key_stays_in_tags_and_token(self) -> None:
        request = fire({**BASE, "started_by": "ecs-aws-clockwork"})
        kwargs = run_task_request(parse_params(request.params), request, ["main"])
        assert kwargs["startedBy"] == "ecs-aws-clockwork"
        assert kwargs["clientToken"] == client_token(request.key)
        assert {"key": "clockwork:fire-key", "value": request.key} in kwargs["tags"]

    def test_a_started_by_of_36_characters_is_ecs_limit_and_accepted(self) -> None:
        text = "a/B_c-" * 6
        assert parse_params({**BASE, "started_by": text}).started_by == text

    def test_the_request_keeps_the_users_tags_and_adds_the_fires(self) -> None:
        request = fire({**BASE, "tags": {"team": "data"}})
        kwargs = run_task_request(parse_params(request.params), request, ["main"])
        assert [t["key"] for t in kwargs["tags"]] == [
            "team",
            "clockwork:fire-key",
            "clockwork:schedule-id",
            "clockwork:fire-time",
        ]
        assert kwargs["count"] == 1
        assert (kwargs["cluster"], kwargs["taskDefinition"]) == ("jobs", "backup")


class TestHandoverParams:
    def test_it_takes_until_alone_with_the_originals_defaults(self) -> None:
        target = parse_params({**BASE, "handover": {"until": "2026-12-08T10:00:00Z"}})
        assert target.handover == Handover(datetime(2026, 12, 8, 10, tzinfo=UTC))
        assert target.handover.grace == timedelta(seconds=5)
        assert target.handover.started_by == "ecs-aws-clockwork"

    def test_it_takes_every_key(self) -> None:
        handover = {"until": "2026-12-08T10:00:00+00:00", "grace_seconds": 2, "started_by": "legacy/cron"}
        target = parse_params({**BASE, "handover": handover})
        assert target.handover == Handover(
            datetime(2026, 12, 8, 10, tzinfo=UTC), timedelta(seconds=2), "legacy/cron"
        )

    @pytest.mark.parametrize(
        ("handover", "field", "words"),
        [
            ("2026-12-08T10:00:00Z", "target.params.handover", "mapping"),
            ({}, "target.params.handover.until", "required"),
            ({"until": "2026-12-08T10:00:00"}, "target.params.handover.until", "UTC instant"),
            ({"until": "2026-12-08T11:00:00+01:00"}, "target.params.handover.until", "UTC instant"),
            ({"until": "tomorrow"}, "target.params.handover.until", "UTC instant"),
            ({"until": 1765188000}, "target.params.handover.until", "UTC instant"),
            ({"until": "2026-12-08T10:00:00Z", "grace_seconds": 0}, "target.params.handover.grace_seconds", "--lease"),
            ({"until": "2026-12-08T10:00:00Z", "grace_seconds": 11}, "target.params.handover.grace_seconds", "--lease"),
            ({"until": "2026-12-08T10:00:00Z", "grace_seconds": "5"}, "target.params.handover.grace_seconds", "1 to 10"),
            ({"until": "2026-12-08T10:00:00Z", "grace_seconds": True}, "target.params.handover.grace_seconds", "1 to 10"),
            ({"until": "2026-12-08T10:00:00Z", "started_by": "x" * 37}, "target.params.handover.started_by", "1-36"),
            ({"until": "2026-12-08T10:00:00Z", "grace": 5}, "target.params.handover.grace", "grace_seconds"),
        ],
    )  # fmt: skip
    def test_it_rejects_a_bad_value_in_one_line_naming_the_key(
        self, handover: object, field: str, words: str
    ) -> None:
        with pytest.raises(InvalidValue) as caught:
            parse_params({**BASE, "handover": handover})
        assert caught.value.field == field
        assert words in caught.value.reason
        assert "\n" not in str(caught.value)

    def test_it_needs_one_task_a_fire_as_the_original_started(self) -> None:
        with pytest.raises(InvalidValue) as caught:
            parse_params({**BASE, "count": 2, "handover": {"until": "2026-12-08T10:00:00Z"}})
        assert caught.value.field == "target.params.handover"

    @pytest.mark.parametrize(
        ("instant", "trigger", "covered"),
        [
            (datetime(2026, 12, 8, 9, 59, 59, tzinfo=UTC), Trigger.SCHEDULE, True),
            (datetime(2026, 12, 8, 10, tzinfo=UTC), Trigger.SCHEDULE, False),
            (datetime(2026, 12, 8, 9, tzinfo=UTC), Trigger.MANUAL, False),
        ],
    )
    def test_it_covers_scheduled_instants_before_until_only(
        self, instant: datetime, trigger: Trigger, covered: bool
    ) -> None:
        handover = Handover(datetime(2026, 12, 8, 10, tzinfo=UTC))
        assert handover.covers(instant, trigger) is covered
