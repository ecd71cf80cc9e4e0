"""Throttling, 5xx answers, lost answers and a lost endpoint, over real HTTP.

dynalite is reached through a :class:`~.emulators.Proxy` that injects the
faults DynamoDB produces (neither emulator throttles); the lost endpoint is a dynalite
backed by LevelDB, stopped and restarted on the same port.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from clockwork_core.errors import Conflict, ScheduleExists, StoreUnavailable
from clockwork_core.testing import at, sample_schedule
from clockwork_core.testing.support import T0
from clockwork_dynamodb.calls import Backoff
from clockwork_dynamodb.capacity import CapacityMeter
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend, Fault, Proxy, create_table, dynalite, free_port

FAST = Backoff(attempts=4, base=0.001, cap=0.01)
THROTTLED = "ProvisionedThroughputExceededException"


@pytest.fixture
def proxy(dynalite_backend: Backend) -> Iterator[Proxy]:
    proxy = Proxy(dynalite_backend.emulator.port, serialise=False)
    yield proxy
    proxy.close()


@pytest.fixture
def faulty(dynalite_backend: Backend, proxy: Proxy) -> Backend:
    return Backend("dynalite behind a faulty proxy", proxy.endpoint, dynalite_backend.emulator, proxy)


@pytest.fixture
def meter() -> CapacityMeter:
    return CapacityMeter()


@pytest.fixture
def store(faulty: Backend, proxy: Proxy, table_name: str, meter: CapacityMeter) -> Iterator[DynamoDBStore]:
    create_table(faulty.client(), table_name)
    with closing(DynamoDBStore(faulty.client(), table_name, meter=meter, backoff=FAST)) as opened:
        proxy.clear()  # count only the test's own calls
        yield opened


class TestThrottlingAndServerErrors:
    def test_it_retries_a_throttled_claim_until_it_goes_through(
        self, store: DynamoDBStore, proxy: Proxy, meter: CapacityMeter
    ) -> None:
        created = store.create(sample_schedule(), due_at=T0, now=T0)
        proxy.inject(Fault(400, THROTTLED, times=3, operation="UpdateItem"))
        claimed = store.claim(created, owner="w", lease_until=at(30), pending=None, now=T0)
        assert store.get(claimed.id).lease_owner == "w"
        assert [row for row in meter.retries() if row[1] == "UpdateItem"] == [
            (store.table, "UpdateItem", THROTTLED, 3)
        ]

    def test_it_retries_server_errors(self, store: DynamoDBStore, proxy: Proxy) -> None:
        proxy.inject(Fault(500, "InternalServerError", times=2, operation="PutItem"))
        proxy.inject(Fault(503, "ServiceUnavailable", times=1, operation="PutItem"))
        assert store.create(sample_schedule(), due_at=T0, now=T0).version == 1

    def test_it_gives_up_after_its_attempts_and_says_why(self, store: DynamoDBStore, proxy: Proxy) -> None:
        proxy.inject(Fault(400, THROTTLED, times=100, operation="GetItem"))
        with pytest.raises(StoreUnavailable) as caught:
            store.get("nightly")
        assert str(caught.value).startswith(
            f"DynamoDB GetItem on table {store.table!r} failed 4 times; last: "
        )
        assert THROTTLED in str(caught.value)
        assert proxy.calls["GetItem"] == 4

    def test_it_does_not_retry_a_refusal(self, store: DynamoDBStore, proxy: Proxy) -> None:
        proxy.inject(Fault(400, "AccessDeniedException", times=100, operation="GetItem"))
        with pytest.raises(StoreUnavailable, match=r"GetItem on table .* was refused: AccessDeniedException"):
            store.get("nightly")
        assert proxy.calls["GetItem"] == 1


class TestLostAnswers:
    """The write was applied but its answer never came back: the retry must not call it a conflict."""

    def test_a_claim_whose_answer_was_lost_is_still_won(self, store: DynamoDBStore, proxy: Proxy) -> None:
        created = store.create(sample_schedule(), due_at=T0, now=T0)
        proxy.inject(Fault(500, "InternalServerError", operation="UpdateItem", after_forwarding=True))
        claimed = store.claim(created, owner="w", lease_until=at(30), pending=None, now=T0)
        assert (claimed.lease_owner, claimed.version) == ("w", 2)
        assert store.get(created.id) == claimed

    def test_a_completion_whose_answer_was_lost_still_completes(
        self, store: DynamoDBStore, proxy: Proxy
    ) -> None:
        claimed = store.claim(
            store.create(sample_schedule(), due_at=T0, now=T0),
            owner="w",
            lease_until=at(30),
            pending=None,
            now=T0,
        )
        proxy.inject(Fault(500, "InternalServerError", operation="UpdateItem", after_forwarding=True))
        done = store.complete(claimed, due_at=at(60), cursor=T0, now=at(1))
        assert (done.lease_owner, done.due_at) == (None, at(60))

    def test_a_create_whose_answer_was_lost_is_not_reported_as_taken(
        self, store: DynamoDBStore, proxy: Proxy
    ) -> None:
        proxy.inject(Fault(500, "InternalServerError", operation="PutItem", after_forwarding=True))
        assert store.create(sample_schedule(), due_at=T0, now=T0).version == 1
        with pytest.raises(ScheduleExists):
            store.create(sample_schedule(), due_at=T0, now=T0)

    def test_a_lease_whose_answer_was_lost_is_held(self, store: DynamoDBStore, proxy: Proxy) -> None:
        proxy.inject(Fault(500, "InternalServerError", operation="UpdateItem", after_forwarding=True))
        assert store.acquire_lease("shard-1", owner="w", until=at(30), now=T0) is True
        assert store.acquire_lease("shard-1", owner="x", until=at(30), now=T0) is False

    def test_a_retried_claim_that_really_lost_is_a_conflict(self, store: DynamoDBStore, proxy: Proxy) -> None:
        created = store.create(sample_schedule(), due_at=T0, now=T0)
        store.claim(created, owner="other", lease_until=at(30), pending=None, now=T0)
        proxy.inject(Fault(500, "InternalServerError", operation="UpdateItem"))  # not applied
        with pytest.raises(Conflict):
            store.claim(created, owner="w", lease_until=at(30), pending=None, now=T0)
        assert store.get(created.id).lease_owner == "other"


class TestALostEndpoint:
    def test_it_reports_an_endpoint_nobody_listens_on_as_unavailable(self, table_name: str) -> None:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1}),
        )
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=f"DescribeTable on table '{table_name}' failed 4 times"):
            DynamoDBStore(client, table_name, backoff=FAST)
        assert time.monotonic() - started < 10

    def test_a_store_comes_back_with_its_data_when_the_endpoint_does(self, tmp_path: Path) -> None:
        emulator = dynalite(tmp_path / "dynalite.log", path=tmp_path / "db")
        emulator.start()
        try:
            backend = Backend("dynalite on disk", emulator.endpoint, emulator)
            create_table(backend.client(), "clockwork-restart")
            with closing(DynamoDBStore(backend.client(), "clockwork-restart", backoff=FAST)) as store:
                created = store.create(sample_schedule(), due_at=T0, now=T0)
                emulator.stop()
                with pytest.raises(StoreUnavailable, match="failed 4 times; last: Could not connect"):
                    store.get("nightly")
                emulator.restart()
                assert store.get("nightly") == created
        finally:
            emulator.stop()


def test_dynalite_outlives_a_client_that_hangs_up_mid_request(tmp_path: Path) -> None:
    """A request cut off half-sent (a network cut, a killed worker) is the client's loss.

    DynamoDB shrugs it off. dynalite, as published, throws from the request's error
    handler and exits, and every test after the cut would then find the emulator gone.
    """
    emulator = dynalite(tmp_path / "dynalite.log")
    emulator.start()
    try:
        with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as cut:
            cut.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            time.sleep(0.2)
            cut.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset
        time.sleep(0.5)
        assert emulator.process is not None
        assert emulator.process.poll() is None, (tmp_path / "dynalite.log").read_text()[-500:]
        create_table(Backend("dynalite", emulator.endpoint, emulator).client(), "clockwork-after-cut")
    finally:
        emulator.stop()
