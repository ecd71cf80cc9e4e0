"""``clockwork dynamodb migrate``, through the real ``clockwork`` command line, on both emulators.

The original's table is made as its Lambda made it (hash key ``id``, one item per
schedule); the report is read as a user reads it (text) or as a script does (``--json``).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clockwork_core.plugins import open_store
from clockwork_core.store import Store
from clockwork_core.testing.support import T0
from clockwork_dynamodb.migrate import LEGACY_KIND
from clockwork_dynamodb.testing.emulators import Backend, create_table, delete_table
from clockwork_worker.cli import main

from .legacy import LEGACY_ID, legacy_item, legacy_table


@pytest.fixture
def fresh(backend: Backend) -> Iterator[str]:
    """A table name nobody uses yet; deleted afterwards if a test created it."""
    name = f"clockwork-legacy-{uuid.uuid4().hex[:10]}"
    yield name
    delete_table(backend.client(), name)


@pytest.fixture
def source(backend: Backend, fresh: str) -> str:
    """The original's table with two schedules."""
    legacy_table(
        backend, fresh, [legacy_item(), legacy_item("hourly-ping", cron_time="0 * * * *", name="ping")]
    )
    return fresh


def clockwork(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def migrate(
    capsys: pytest.CaptureFixture[str], backend: Backend, table: str, source: str, *more: str
) -> tuple[int, str]:
    status, out, _ = clockwork(
        capsys, "dynamodb", "migrate", "--from", source, *more, "--store", backend.url(table)
    )
    return status, out


def migrate_json(
    capsys: pytest.CaptureFixture[str], backend: Backend, table: str, source: str, *more: str
) -> tuple[int, dict[str, Any]]:
    status, out = migrate(capsys, backend, table, source, "--json", *more)
    return status, json.loads(out)


class TestMigrate:
    opened: list[Store]

    @pytest.fixture(autouse=True)
    def closes_what_it_opens(self) -> Iterator[None]:
        self.opened = []
        yield
        for store in self.opened:
            store.close()

    def test_it_adopts_each_legacy_schedule_with_its_id_expression_and_target(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = migrate(capsys, backend, table, source)
        assert status == 0
        assert out.splitlines()[-1] == f"2 created (from {source} into {table})"
        with closing(open_store(backend.url(table))) as store:
            record = store.get(LEGACY_ID)
        assert (record.schedule.name, record.schedule.expression, record.schedule.timezone) == (
            "nightly-report",
            "0 3 * * *",
            "UTC",
        )
        assert record.schedule.target.launcher == "ecs"
        assert dict(record.schedule.target.params) == {
            "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/jobs",
            "task_definition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/report:7",
            "started_by": "ecs-aws-clockwork",
        }
        assert dict(record.schedule.origin) == {
            "kind": LEGACY_KIND,
            "table": source,
            "last_updated": "2016-04-01T10:00:00.000Z",
        }
        assert record.due_at is not None

    def test_it_changes_nothing_when_run_again(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            before = store.get(LEGACY_ID)
            status, out = migrate(capsys, backend, table, source)
            assert (status, out.splitlines()[-1]) == (0, f"2 unchanged (from {source} into {table})")
            assert store.get(LEGACY_ID) == before

    def test_it_updates_a_schedule_whose_legacy_item_changed(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source)
        backend.client().put_item(
            TableName=source, Item=legacy_item(cron_time="30 4 * * *", last_updated="2017")
        )
        status, out = migrate(capsys, backend, table, source)
        assert status == 0
        assert f"updated   {LEGACY_ID}: 30 4 * * *" in out
        with closing(open_store(backend.url(table))) as store:
            assert store.get(LEGACY_ID).schedule.expression == "30 4 * * *"

    def test_a_manual_trigger_queued_between_migrations_still_fires(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            queued = datetime.now(UTC).replace(microsecond=0)
            store.trigger(LEGACY_ID, instant=queued, now=queued)
            backend.client().put_item(
                TableName=source, Item=legacy_item(cron_time="30 4 * * *", last_updated="2017")
            )
            status, out = migrate(capsys, backend, table, source)
            assert (status, f"updated   {LEGACY_ID}: 30 4 * * *" in out) == (0, True)
            record = store.get(LEGACY_ID)
            assert record.manual == (queued,)
            assert record.due_at == queued, "the trigger is still due, before the next 04:30"
            assert LEGACY_ID in [due.id for due in store.due(queued)]

    def test_a_schedule_paused_in_clockwork_stays_paused(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source)
        status, _, _ = clockwork(capsys, "schedule", "pause", LEGACY_ID, "--store", backend.url(table))
        assert status == 0
        status, out = migrate(capsys, backend, table, source)
        assert (status, out.splitlines()[-1]) == (0, f"2 unchanged (from {source} into {table})")
        backend.client().put_item(
            TableName=source, Item=legacy_item(cron_time="30 4 * * *", last_updated="2017")
        )
        migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            record = store.get(LEGACY_ID)
        assert (record.schedule.expression, record.schedule.enabled, record.due_at) == (
            "30 4 * * *",
            False,
            None,
        )

    def test_it_keeps_a_schedule_clockwork_manages_now(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source)
        store = open_store(backend.url(table))
        self.opened.append(store)
        adopted = store.get(LEGACY_ID)

        managed = adopted.schedule.__class__(
            id=LEGACY_ID,
            expression="0 5 * * *",
            target=adopted.schedule.target,
            origin={"kind": "cloudformation"},
        )
        store.replace(managed, due_at=None, now=T0)
        status, out = migrate(capsys, backend, table, source)
        assert (status, f"kept      {LEGACY_ID}: managed by cloudformation" in out) == (0, True)
        assert store.get(LEGACY_ID).schedule.expression == "0 5 * * *"

    def test_it_writes_nothing_on_a_dry_run(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = migrate(capsys, backend, table, source, "--dry-run")
        assert (status, out.splitlines()[-1]) == (
            0,
            f"dry run, nothing written: 2 created (from {source} into {table})",
        )
        with closing(open_store(backend.url(table))) as store:
            assert list(store.list()) == []

    def test_it_reports_an_item_it_cannot_adopt_and_adopts_the_rest(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        backend.client().put_item(TableName=source, Item=legacy_item("broken", cron_time="61 * * * *"))
        status, out = migrate(capsys, backend, table, source, "--json")
        report = {row["id"]: row for row in json.loads(out)["items"]}
        assert status == 1
        assert report["broken"]["action"] == "invalid"
        assert report["broken"]["detail"].startswith("expression: ")
        assert report[LEGACY_ID]["action"] == "created"

    def test_it_shows_the_control_characters_of_a_legacy_id_and_never_writes_them(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        backend.client().put_item(TableName=source, Item=legacy_item("evil\x1b[2J\x07\x9b"))
        status, out = migrate(capsys, backend, table, source)
        assert status == 1
        assert not {"\x1b", "\x07", "\x9b"} & set(out), repr(out)
        assert any(line.startswith("invalid   evil\\x1b[2J\\x07\\x9b: ") for line in out.splitlines())

    def test_it_names_a_missing_source_table(
        self, backend: Backend, table: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, _, err = clockwork(
            capsys, "dynamodb", "migrate", "--from", "nope-table", "--store", backend.url(table)
        )
        assert (status, err.strip()) == (2, "clockwork: --from: DynamoDB table 'nope-table' does not exist")


#: More items than the original's worker's one Scan(Limit=1000) returns.
MANY = 1_200
#: Items of about 2.2 KB (2,000-character names, which the original accepted): its
#: worker's Scan page ends at DynamoDB's 1 MB limit, well before 1,000 items.
LARGE, LARGE_NAME = 600, 2_000


def worker_page(backend: Backend, name: str) -> tuple[set[str], bool]:
    """The ids of the one Scan the original's worker made (TableName, Limit 1000), and whether more pages followed."""
    page = backend.client().scan(TableName=name, Limit=1000)
    return {item["id"]["S"] for item in page["Items"]}, "LastEvaluatedKey" in page


@pytest.fixture(scope="module", params=["moto", "dynalite"])
def crowded(request: pytest.FixtureRequest) -> Iterator[tuple[Backend, str, str]]:
    """Two original tables on one emulator: MANY small items, and LARGE items with long names."""
    backend: Backend = request.getfixturevalue("dynalite_backend" if request.param == "dynalite" else "moto")
    many, large = (f"clockwork-legacy-{uuid.uuid4().hex[:10]}" for _ in range(2))
    legacy_table(backend, many, (legacy_item(f"many-{n:05d}") for n in range(MANY)))
    legacy_table(
        backend,
        large,
        (legacy_item(f"large-{n:05d}", name=f"{n:05d}" + "n" * LARGE_NAME) for n in range(LARGE)),
    )
    try:
        yield backend, many, large
    finally:
        delete_table(backend.client(), many)
        delete_table(backend.client(), large)


@pytest.fixture
def destination(crowded: tuple[Backend, str, str]) -> Iterator[str]:
    backend = crowded[0]
    name = f"clockwork-test-{uuid.uuid4().hex[:12]}"
    create_table(backend.client(), name)
    yield name
    delete_table(backend.client(), name)


class TestTheOriginalsWholeTable:
    """The original's worker never read past its first Scan page; the migration reads every page."""

    def test_it_reads_every_item_past_the_first_thousand_and_names_those_the_worker_never_saw(
        self, crowded: tuple[Backend, str, str], destination: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        backend, many, _ = crowded
        seen, more = worker_page(backend, many)
        assert (len(seen), more) == (1000, True)
        status, report = migrate_json(capsys, backend, destination, many, "--dry-run")
        assert status == 0
        assert sorted(row["id"] for row in report["items"]) == [f"many-{n:05d}" for n in range(MANY)]
        assert {row["action"] for row in report["items"]} == {"created"}
        never = {row["id"] for row in report["items"] if row["never_fired"]}
        assert never == {f"many-{n:05d}" for n in range(MANY)} - seen
        assert {reason for row in report["items"] for reason in row["never_fired"]} == {
            "beyond its worker's first Scan page"
        }
        assert report["counts"]["never_fired"] == MANY - 1000

    def test_it_writes_every_item_past_the_1_mb_page_and_names_those_the_worker_never_saw(
        self, crowded: tuple[Backend, str, str], destination: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        backend, _, large = crowded
        seen, more = worker_page(backend, large)
        assert more
        assert 0 < len(seen) < LARGE, "the 1 MB limit should end the worker's page early"
        status, out = migrate(capsys, backend, destination, large)
        assert status == 0
        assert out.splitlines()[-1] == (
            f"{LARGE} created; {LARGE - len(seen)} never fired by the original (from {large} into {destination})"
        )
        lines = out.splitlines()
        for n, line in enumerate(lines[:-1]):
            if line.startswith("created   "):
                schedule_id = line.split()[1].rstrip(":")
                follows = lines[n + 1] if n + 1 < len(lines) else ""
                beyond = "never fired by the original: beyond its worker's first Scan page" in follows
                assert beyond == (schedule_id not in seen), line
        with closing(open_store(backend.url(destination))) as store:
            records = {record.id: record for record in store.list()}
        assert sorted(records) == [f"large-{n:05d}" for n in range(LARGE)]
        kept = records["large-00007"].schedule
        assert (kept.name, kept.origin["name"]) == (
            ("00007" + "n" * LARGE_NAME)[:255],
            "00007" + "n" * LARGE_NAME,
        )


class TestWhatTheOriginalDid:
    """Missed fires, startedBy and a handover: the original's behaviour by default, clockwork's on request."""

    def test_a_migrated_schedule_skips_missed_fires_and_starts_its_tasks_as_the_original_did(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert migrate(capsys, backend, table, source)[0] == 0
        with closing(open_store(backend.url(table))) as store:
            schedule = store.get(LEGACY_ID).schedule
        assert schedule.policies.missed_fires.value == "skip"
        assert schedule.target.params["started_by"] == "ecs-aws-clockwork"
        assert "handover" not in schedule.target.params

    def test_the_flags_give_clockwork_s_behaviour_instead(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, _ = migrate(
            capsys, backend, table, source, "--missed-fires", "latest", "--started-by", "clockwork"
        )
        assert status == 0
        with closing(open_store(backend.url(table))) as store:
            schedule = store.get(LEGACY_ID).schedule
        assert schedule.policies.missed_fires.value == "latest"
        assert "started_by" not in schedule.target.params

    def test_a_handover_until_an_instant_is_written_as_a_target_parameter(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert (
            migrate(capsys, backend, table, source, "--handover-until", "2099-01-01T10:30:00+00:00")[0] == 0
        )
        with closing(open_store(backend.url(table))) as store:
            params = store.get(LEGACY_ID).schedule.target.params
        assert params["handover"] == {"until": "2099-01-01T10:30:00Z"}

    def test_a_handover_grace_is_written_beside_its_until(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        flags = ("--handover-until", "2099-01-01T10:30:00Z", "--handover-grace", "2")
        assert migrate(capsys, backend, table, source, *flags)[0] == 0
        with closing(open_store(backend.url(table))) as store:
            params = store.get(LEGACY_ID).schedule.target.params
        assert params["handover"] == {"until": "2099-01-01T10:30:00Z", "grace_seconds": 2}

    def test_a_handover_for_a_duration_ends_that_long_after_the_migration(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        before = datetime.now(UTC).replace(microsecond=0)
        assert migrate(capsys, backend, table, source, "--handover-until", "30m")[0] == 0
        after = datetime.now(UTC)
        with closing(open_store(backend.url(table))) as store:
            until = datetime.fromisoformat(store.get(LEGACY_ID).schedule.target.params["handover"]["until"])
        assert before + timedelta(minutes=30) <= until <= after + timedelta(minutes=30)

    def test_a_second_identical_run_changes_nothing(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        flags = (
            "--missed-fires",
            "all",
            "--started-by",
            "original",
            "--handover-until",
            "2099-01-01T00:00:00Z",
        )
        assert migrate(capsys, backend, table, source, *flags)[0] == 0
        with closing(open_store(backend.url(table))) as store:
            before = store.get(LEGACY_ID)
            status, out = migrate(capsys, backend, table, source, *flags)
            assert (status, out.splitlines()[-1]) == (0, f"2 unchanged (from {source} into {table})")
            assert store.get(LEGACY_ID) == before

    def test_a_run_without_a_handover_keeps_the_one_written_before(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source, "--handover-until", "2099-01-01T00:00:00Z")
        status, out = migrate(capsys, backend, table, source)
        assert (status, out.splitlines()[-1]) == (0, f"2 unchanged (from {source} into {table})")

    def test_another_option_updates_the_schedules_in_place(
        self, backend: Backend, table: str, source: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, source)
        with closing(open_store(backend.url(table))) as store:
            before = store.get(LEGACY_ID)
            status, out = migrate(capsys, backend, table, source, "--started-by", "clockwork")
            after = store.get(LEGACY_ID)
        assert (status, out.splitlines()[-1]) == (0, f"2 updated (from {source} into {table})")
        assert "started_by" not in after.schedule.target.params
        assert (after.due_at, after.cursor) == (before.due_at, before.cursor), (
            "same timing: it keeps its place"
        )

    @pytest.mark.parametrize(
        "case",
        [
            (
                ("--missed-fires", "never"),
                "clockwork dynamodb migrate: argument --missed-fires: invalid choice: 'never' "
                "(choose from 'latest', 'all', 'skip')",
            ),
            (
                ("--started-by", "me"),
                "clockwork dynamodb migrate: argument --started-by: invalid choice: 'me' "
                "(choose from 'original', 'clockwork')",
            ),
            (
                ("--handover-until", "tomorrow"),
                "clockwork: --handover-until: 'tomorrow' is neither an ISO 8601 instant "
                "(2026-12-01T10:00:00Z) nor a duration (30m)",
            ),
            (
                ("--handover-until", "2099-01-01T00:00:00"),
                "clockwork: --handover-until: '2099-01-01T00:00:00' has no zone: give it in UTC (…Z)",
            ),
            (
                ("--handover-until", "2020-01-01T00:00:00Z"),
                "clockwork: --handover-until: '2020-01-01T00:00:00Z' is not in the future",
            ),
            (("--handover-until", "0m"), "clockwork: --handover-until: '0m' is not in the future"),
            (
                ("--handover-grace", "2"),
                "clockwork: --handover-grace: needs --handover-until (the window it applies in)",
            ),
            (
                ("--handover-until", "1h", "--handover-grace", "11"),
                "clockwork: --handover-grace: 11 is not a whole number of seconds from 1 to 10",
            ),
        ],
    )
    def test_a_bad_flag_is_one_line_and_nothing_is_written(
        self,
        backend: Backend,
        table: str,
        source: str,
        capsys: pytest.CaptureFixture[str],
        case: tuple[tuple[str, ...], str],
    ) -> None:
        flags, error = case
        status, out, err = clockwork(
            capsys, "dynamodb", "migrate", "--from", source, *flags, "--store", backend.url(table)
        )
        assert (status, out) == (2, "")
        assert err.splitlines() == [
            error if error.startswith("clockwork: ") else error + " (see clockwork dynamodb migrate --help)"
        ]
        with closing(open_store(backend.url(table))) as store:
            assert list(store.list()) == []


#: Expressions whose meaning differs between the original and clockwork, by item id, with
#: the original's meaning in clockwork's syntax.
DIFFERENT = {
    "step-without-range": ("5/15 * * * *", "5 * * * *"),
    "trailing-space": ("0,30 * * * * ", "0,30 * * * * *"),
    "doubled-spaces": ("*/2  *  * * *", "*/2 * * * * *"),
    "empty": ("", "* * * * *"),
    "four-fields": ("*/2 * * *", "* */2 * * *"),
    "seven-fields": ("0 0 12 * * * 2026", "0 12 * * *"),
    "descending-list": ("30,5 * * * *", "30 * * * *"),
}
#: The ones clockwork refuses as they are.
REFUSED = {"empty", "four-fields", "seven-fields"}


def seconds_between(fires: list[str]) -> set[float]:
    instants = [datetime.fromisoformat(fire) for fire in fires]
    return {(later - earlier).total_seconds() for earlier, later in itertools.pairwise(instants)}


@pytest.fixture
def differing(backend: Backend, fresh: str) -> str:
    """The original's table: one schedule whose meaning is the same, and each of DIFFERENT."""
    items = [legacy_item(), *(legacy_item(key, cron_time=text) for key, (text, _) in DIFFERENT.items())]
    legacy_table(backend, fresh, items)
    return fresh


class TestExpressionsThatMeanSomethingElse:
    """``5/15 * * * *`` fired hourly under the original; clockwork reads it every 15 minutes."""

    def test_a_dry_run_reports_both_meanings_of_each_with_their_first_fires(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, report = migrate_json(capsys, backend, table, differing, "--dry-run")
        rows = {row["id"]: row for row in report["items"]}
        assert status == 1
        assert (rows[LEGACY_ID]["action"], rows[LEGACY_ID]["meaning"]) == ("created", None)
        assert sorted(report["undecided"]) == sorted(DIFFERENT)
        for key, (text, translation) in DIFFERENT.items():
            meaning = rows[key]["meaning"]
            assert rows[key]["action"] == "undecided", key
            assert (meaning["text"], meaning["translation"], meaning["kept"]) == (text, translation, None)
            assert len(meaning["original"]) == 5, key
            assert bool(meaning["clockwork_error"]) == (key in REFUSED), key
            assert len(meaning["clockwork"]) == (0 if key in REFUSED else 5), key
            assert meaning["why"], key
        step = rows["step-without-range"]["meaning"]
        assert {datetime.fromisoformat(f).minute for f in step["original"]} == {5}
        assert seconds_between(step["original"]) == {3600}
        assert seconds_between(rows["trailing-space"]["meaning"]["original"]) == {30}
        assert seconds_between(rows["doubled-spaces"]["meaning"]["original"]) == {2}
        assert seconds_between(rows["empty"]["meaning"]["original"]) == {60}
        assert {
            datetime.fromisoformat(f).minute for f in rows["descending-list"]["meaning"]["clockwork"]
        } == {5, 30}
        assert {datetime.fromisoformat(f).minute for f in rows["descending-list"]["meaning"]["original"]} == {
            30
        }
        assert rows["seven-fields"]["meaning"]["clockwork_error"].startswith(
            "'0 0 12 * * * 2026': has 7 fields"
        )
        with closing(open_store(backend.url(table))) as store:
            assert list(store.list()) == []

    def test_the_text_report_shows_each_meaning_under_its_schedule(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = migrate(capsys, backend, table, differing, "--dry-run")
        lines = out.splitlines()
        at = lines.index("undecided step-without-range: '5/15 * * * *': which meaning to keep is not decided")
        assert status == 1
        assert (
            lines[at + 1]
            == " " * 10 + "means something else in clockwork: '5/15': the original reads a/s as a alone"
        )
        assert lines[at + 2].startswith(" " * 10 + "  the original fires:  ")
        assert lines[at + 3].startswith(" " * 10 + "  clockwork fires:     ")
        assert (
            lines[at + 4]
            == " " * 10 + "--meaning original writes '5 * * * *'; --meaning clockwork keeps '5/15 * * * *'"
        )
        empty = lines.index("undecided empty: '': which meaning to keep is not decided")
        assert lines[empty + 3].startswith(" " * 10 + "  clockwork refuses it: '': the expression is empty")
        assert lines[-2] == (
            "7 schedules need a decision: --meaning original or --meaning clockwork (every schedule), "
            "--meaning ID=original|clockwork (one)"
        )
        assert lines[-1] == (
            f"dry run, nothing written: 1 created, 7 undecided; 7 mean something else in clockwork "
            f"(from {differing} into {table})"
        )

    def test_without_a_decision_it_writes_nothing_at_all(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = migrate(capsys, backend, table, differing)
        assert status == 1
        assert out.splitlines()[-1].startswith("nothing written: 1 created, 7 undecided; ")
        with closing(open_store(backend.url(table))) as store:
            assert list(store.list()) == [], "not even the schedule that needs no decision"

    def test_meaning_original_writes_the_original_s_meaning_and_keeps_the_text_in_the_origin(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = migrate(capsys, backend, table, differing, "--meaning", "original")
        assert (status, out.splitlines()[-1]) == (
            0,
            f"8 created; 7 mean something else in clockwork (from {differing} into {table})",
        )
        with closing(open_store(backend.url(table))) as store:
            for key, (text, translation) in DIFFERENT.items():
                schedule = store.get(key).schedule
                assert schedule.expression == translation, key
                assert (schedule.origin["cron_time"], schedule.origin["meaning"]) == (text, "original"), key
            plain = store.get(LEGACY_ID).schedule
        assert (plain.expression, "meaning" in plain.origin) == ("0 3 * * *", False)

    def test_meaning_clockwork_keeps_the_text_and_cannot_keep_one_clockwork_refuses(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, report = migrate_json(capsys, backend, table, differing, "--meaning", "clockwork")
        rows = {row["id"]: row for row in report["items"]}
        assert status == 1
        assert {key for key, row in rows.items() if row["action"] == "invalid"} == REFUSED
        assert rows["empty"]["detail"].endswith(
            "; --meaning empty=original writes the original's meaning, '* * * * *'"
        )
        with closing(open_store(backend.url(table))) as store:
            for key, (text, _) in DIFFERENT.items():
                if key in REFUSED:
                    continue
                schedule = store.get(key).schedule
                assert (schedule.expression, schedule.origin["meaning"]) == (text, "clockwork"), key
                assert rows[key]["meaning"]["kept"] == "clockwork"

    def test_a_decision_for_one_schedule_wins_over_the_one_for_all(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        each = [flag for key in sorted(REFUSED) for flag in ("--meaning", f"{key}=original")]
        status, _ = migrate(capsys, backend, table, differing, "--meaning", "clockwork", *each)
        assert status == 0
        with closing(open_store(backend.url(table))) as store:
            assert store.get("four-fields").schedule.expression == "* */2 * * *"
            assert store.get("step-without-range").schedule.expression == "5/15 * * * *"

    def test_a_decision_is_remembered_for_the_same_text_and_asked_again_for_a_new_one(
        self, backend: Backend, table: str, differing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrate(capsys, backend, table, differing, "--meaning", "original")
        status, out = migrate(capsys, backend, table, differing)
        assert (status, out.splitlines()[-1]) == (
            0,
            f"8 unchanged; 7 mean something else in clockwork (from {differing} into {table})",
        )
        backend.client().put_item(
            TableName=differing,
            Item=legacy_item("descending-list", cron_time="45,15 * * * *", last_updated="2017"),
        )
        status, report = migrate_json(capsys, backend, table, differing)
        assert (status, report["undecided"], report["written"]) == (1, ["descending-list"], False)
        with closing(open_store(backend.url(table))) as store:
            assert store.get("descending-list").schedule.expression == "30 * * * *"

    @pytest.mark.parametrize(
        "case",
        [
            (("--meaning", "theirs"), "'theirs' is not original, clockwork, ID=original or ID=clockwork"),
            (
                ("--meaning", "original", "--meaning", "clockwork"),
                "gives both original and clockwork for every schedule",
            ),
            (
                ("--meaning", "empty=original", "--meaning", "empty=clockwork"),
                "gives both original and clockwork for 'empty'",
            ),
            (("--meaning", "nope=original"), "no item 'nope' in table"),
        ],
    )
    def test_a_bad_meaning_is_one_line_and_nothing_is_written(
        self,
        backend: Backend,
        table: str,
        differing: str,
        capsys: pytest.CaptureFixture[str],
        case: tuple[tuple[str, ...], str],
    ) -> None:
        flags, error = case
        status, out, err = clockwork(
            capsys, "dynamodb", "migrate", "--from", differing, *flags, "--store", backend.url(table)
        )
        assert (status, out) == (2, "")
        assert err.splitlines()[0].startswith(f"clockwork: --meaning: {error}")
        assert len(err.splitlines()) == 1
        with closing(open_store(backend.url(table))) as store:
            assert list(store.list()) == []


class TestWhatTheOriginalsWorkerCouldNotUse:
    def test_a_day_name_its_worker_could_not_resolve_is_migrated_and_reported_as_never_fired(
        self, backend: Backend, table: str, fresh: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        legacy_table(backend, fresh, [legacy_item(), legacy_item("sundays", cron_time="0 0 * * sun")])
        status, out = migrate(capsys, backend, table, fresh)
        lines = out.splitlines()
        at = next(n for n, line in enumerate(lines) if line.startswith("created   sundays: 0 0 * * sun -> "))
        assert status == 0
        assert lines[at + 1].startswith(
            " " * 10
            + "never fired by the original: the worker's cron-parser 0.6.2 refuses it: Cannot resolve alias"
        )
        assert lines[-1] == f"2 created; 1 never fired by the original (from {fresh} into {table})"
        with closing(open_store(backend.url(table))) as store:
            assert store.get("sundays").schedule.expression == "0 0 * * sun"
