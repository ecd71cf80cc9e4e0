"""Fuzzing the properties: whatever arrives, exactly one response, and no partial write.

Property maps start from a valid resource and are bent by hypothesis: properties dropped,
unknown ones added, values swapped for other JSON (wrong types, huge numbers, odd
unicode, nested junk). Every event must get exactly one response, SUCCESS or FAILED with
a reason, and the table must then hold exactly what a SUCCESS declares (or, after a
FAILED, what it held before). Examples are derandomized, so CI runs the same ones;
``CLOCKWORK_CFN_EXPLORE=1`` draws new ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from clockwork_cfn_resource.handler import handler
from clockwork_cfn_resource.properties import KNOWN
from clockwork_cfn_resource.testing import LambdaContext, ResponseServer, event, original_properties
from clockwork_core.errors import ScheduleNotFound
from clockwork_core.store import Store
from clockwork_dynamodb.store import DynamoDBStore
from clockwork_dynamodb.testing.emulators import Backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXPLORE = os.environ.get("CLOCKWORK_CFN_EXPLORE") == "1"
FUZZ = settings(
    max_examples=400 if EXPLORE else 60,
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Text as CloudFormation may carry it: plausible values, and the odd ones.
texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "true",
            "False",
            "300",
            "-1",
            "0",
            "1e3",
            "99999999999999999999999999",
            "NaN",
            "*/5 * * * *",
            "0 3 * * ?",
            "@hourly",
            "cron(0 12 * * ? *)",
            "rate(5 minutes)",
            "Europe/Berlin",
            "2026-12-01T00:00:00Z",
            "FARGATE",
            "Forbid",
            "arn:aws:ecs:us-east-1:123456789012:cluster/c",
        ]
    ),
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["Cs", "Co", "Mn", "So", "Zs"]), max_size=10
    ).filter(lambda text: not any(0xD800 <= ord(c) <= 0xDFFF for c in text)),
)
scalars = st.one_of(
    texts,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(["Subnets", "Name", "Key", "Value", "Attempts"]), texts),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@st.composite
def property_maps(draw: st.DrawFn, table: str) -> dict[str, Any]:
    properties: dict[str, Any] = original_properties(table)
    for name in draw(st.lists(st.sampled_from(KNOWN), max_size=6)):
        properties[name] = draw(values)
    for name in draw(st.lists(st.sampled_from(sorted(properties)), max_size=2)):
        properties.pop(name, None)
    if draw(st.booleans()):
        properties[draw(texts) or "Extra"] = draw(values)
    properties["SchedulerDynamoDBTable"] = table  # always the test's own table
    return properties


@pytest.fixture(scope="module")
def fuzz_table(moto: Backend) -> Iterator[str]:
    from clockwork_dynamodb.testing.emulators import create_table, delete_table

    name = "clockwork-cfn-fuzz"
    with closing(moto.client()) as client:
        create_table(client, name)
        yield name
        delete_table(client, name)


@pytest.fixture(scope="module")
def fuzz_store(moto: Backend, fuzz_table: str) -> Iterator[Store]:
    with closing(DynamoDBStore(moto.client(), fuzz_table, close_client=True)) as opened:
        yield opened


@pytest.fixture(scope="module")
def fuzz_responses() -> Iterator[ResponseServer]:
    server = ResponseServer()
    yield server
    server.close()


def _one_response(sent: dict[str, Any], responses: ResponseServer) -> dict[str, Any]:
    before = len(responses.received)
    returned = handler(sent, LambdaContext(timeout=20))
    received = responses.wait(before + 1, timeout=5)
    assert len(received) == before + 1, "not exactly one response"
    answer = received[-1].document
    assert answer == returned
    assert answer["Status"] in ("SUCCESS", "FAILED")
    if answer["Status"] == "FAILED":
        assert answer["Reason"]
    return answer


@FUZZ
@given(data=st.data())
def test_any_create_gets_one_answer_and_writes_all_or_nothing(
    data: st.DataObject, fuzz_table: str, fuzz_store: Store, fuzz_responses: ResponseServer
) -> None:
    properties = data.draw(property_maps(fuzz_table))
    answer = _one_response(event("Create", properties, fuzz_responses.url()), fuzz_responses)
    physical_id = answer["PhysicalResourceId"]
    if answer["Status"] == "FAILED":
        with pytest.raises(ScheduleNotFound):
            fuzz_store.get(physical_id)
        return
    try:
        assert fuzz_store.get(physical_id).schedule.expression == properties["CronTime"]
    finally:
        fuzz_store.delete(physical_id)


@FUZZ
@given(data=st.data())
def test_any_update_gets_one_answer_and_a_failed_one_leaves_the_schedule_as_it_was(
    data: st.DataObject, fuzz_table: str, fuzz_store: Store, fuzz_responses: ResponseServer
) -> None:
    old = original_properties(fuzz_table)
    created = _one_response(event("Create", old, fuzz_responses.url()), fuzz_responses)
    physical_id = created["PhysicalResourceId"]
    before = fuzz_store.get(physical_id)
    try:
        new = data.draw(property_maps(fuzz_table))
        sent = event("Update", new, fuzz_responses.url(), physical_id=physical_id, old=old)
        answer = _one_response(sent, fuzz_responses)
        after = fuzz_store.get(physical_id)
        if answer["Status"] == "FAILED":
            assert after == before
        elif answer["PhysicalResourceId"] == physical_id:
            assert after.schedule.expression == new["CronTime"]
        else:  # a new region: a replacement, and CloudFormation deletes the old one
            replaced = fuzz_store.get(answer["PhysicalResourceId"])
            fuzz_store.delete(replaced.id)
            assert (replaced.schedule.expression, after) == (new["CronTime"], before)
    finally:
        fuzz_store.delete(physical_id)
