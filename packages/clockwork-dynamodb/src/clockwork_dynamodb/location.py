"""Store URLs: ``dynamodb://TABLE?region=eu-west-1&endpoint_url=http://127.0.0.1:8000``.

Options (all optional):

* ``region``: the AWS region; otherwise boto3's own (``AWS_REGION``, the profile).
* ``endpoint_url``: another endpoint (an emulator, a VPC endpoint).
* ``shards``: the shard count for a table used for the first time (default 8).
* ``retention_days``: how long run history is kept (the TTL; default 30).

Credentials come from boto3's usual chain (environment, profile, the ECS task role).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qs, urlsplit

import attrs
from clockwork_core.errors import InvalidValue
from clockwork_core.stores.memory import shown

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from clockwork_dynamodb.store import DynamoDBStore

TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
OPTIONS = ("region", "endpoint_url", "shards", "retention_days")
#: Seconds to wait for a connection, and for an answer: a lost endpoint fails fast.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
#: Connections kept open: a worker fires from many threads at once (botocore's default is 10).
MAX_CONNECTIONS = 64


@attrs.frozen
class Location:
    """Where a store's table is, and the settings its URL gives."""

    table: str
    region: str | None = None
    endpoint_url: str | None = None
    shards: int | None = None
    retention: timedelta = timedelta(days=30)

    def client(self) -> DynamoDBClient:
        """A boto3 DynamoDB client for this location; its own retries are off (see ``calls``).

        InvalidValue("store", ...) when there is no region, or botocore cannot build a client
        (a region that is no region name, an AWS_PROFILE that names no profile).
        """
        import boto3
        from botocore.exceptions import BotoCoreError

        from clockwork_dynamodb.calls import explain

        try:
            region = self.region or boto3.session.Session().region_name
            if not region:
                raise InvalidValue(
                    "store",
                    f"no AWS region for DynamoDB table {self.table!r}: add ?region=eu-west-1 to the URL "
                    "or set AWS_REGION",
                )
            return boto3.client(
                "dynamodb", region_name=region, endpoint_url=self.endpoint_url, config=client_config()
            )
        except BotoCoreError as exc:
            raise InvalidValue("store", f"DynamoDB table {self.table!r}: {explain(exc)}") from None

    def url(self) -> str:
        query = [f"region={self.region}"] if self.region else []
        if self.endpoint_url:
            query.append(f"endpoint_url={self.endpoint_url}")
        return f"dynamodb://{self.table}" + (f"?{'&'.join(query)}" if query else "")


def client_config() -> Config:
    """What a store's boto3 client should be built with: no retries of botocore's own
    (the store retries, see :mod:`clockwork_dynamodb.calls`), and short time-outs."""
    from botocore.config import Config

    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=MAX_CONNECTIONS,
    )


def parse(url: SplitResult | str) -> Location:
    """The location a ``dynamodb://`` URL names; InvalidValue("store", ...) for a bad one."""
    if isinstance(url, str):
        url = urlsplit(url)
    text = shown(url)
    if url.scheme != "dynamodb":
        raise InvalidValue("store", f"{text!r} is not a DynamoDB store URL (dynamodb://TABLE?region=...)")
    if not TABLE_NAME.fullmatch(url.netloc) or url.path not in ("", "/"):
        raise InvalidValue(
            "store",
            f"{text!r} does not name a table: use dynamodb://TABLE?region=... (3-255 letters, digits, _ . -)",
        )
    options = parse_qs(url.query, keep_blank_values=True)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InvalidValue(
            "store", f"unknown option {unknown[0]!r} in {text!r} (known: {', '.join(OPTIONS)})"
        )
    values = {key: found[-1] for key, found in options.items()}
    endpoint = values.get("endpoint_url") or None
    if endpoint is not None:
        _check_endpoint(endpoint, text)
    return Location(
        table=url.netloc,
        region=values.get("region") or None,
        endpoint_url=endpoint,
        shards=_whole(values, "shards", text),
        retention=timedelta(days=_whole(values, "retention_days", text) or 30),
    )


def _check_endpoint(endpoint: str, text: str) -> None:
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError as exc:
        raise InvalidValue("store", f"endpoint_url={endpoint!r} in {text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue("store", f"endpoint_url={endpoint!r} in {text!r} is not an http(s) URL")


def _whole(values: dict[str, str], name: str, text: str) -> int | None:
    value = values.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
        raise InvalidValue("store", f"{name}={value!r} in {text!r} must be a whole number of at least 1")
    return int(value)


def open_dynamodb_store(url: SplitResult | str) -> DynamoDBStore:
    """The store a ``dynamodb://`` URL names, with a client built from the URL."""
    from clockwork_dynamodb.store import DynamoDBStore

    location = parse(url)
    client = location.client()
    try:
        return DynamoDBStore(
            client,
            location.table,
            shards=location.shards,
            retention=location.retention,
            close_client=True,
        )
    except BaseException:
        client.close()
        raise
