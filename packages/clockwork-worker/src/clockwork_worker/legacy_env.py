"""The original aws-ecs-clockwork's settings: ``DYNAMO_TABLE`` and ``AWS_REGION``.

Its worker was started as ``docker run --env AWS_REGION=eu-west-1 --env DYNAMO_TABLE=clockwork
IMAGE``, and clockwork's image is started the same way: when ``CLOCKWORK_STORE`` is unset (or
empty) and ``DYNAMO_TABLE`` is set, the store is ``dynamodb://$DYNAMO_TABLE?region=$AWS_REGION``
(without ``?region=`` when ``AWS_REGION`` is unset: boto3's own region then applies). An
emulator or VPC endpoint comes from boto3's ``AWS_ENDPOINT_URL_DYNAMODB``. A table name that
is not one is reported by the store, as for ``--store``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from urllib.parse import quote


def legacy_store_url(environ: Mapping[str, str]) -> str | None:
    """The store URL the original's variables name, or None when they do not apply."""
    table = environ.get("DYNAMO_TABLE", "").strip()
    if not table or environ.get("CLOCKWORK_STORE", "").strip():
        return None
    region = environ.get("AWS_REGION", "").strip()
    query = f"?region={quote(region, safe='')}" if region else ""
    return f"dynamodb://{quote(table, safe='')}{query}"


def apply(environ: MutableMapping[str, str]) -> None:
    """Set ``CLOCKWORK_STORE`` from ``DYNAMO_TABLE`` and ``AWS_REGION`` when they apply."""
    url = legacy_store_url(environ)
    if url is not None:
        environ["CLOCKWORK_STORE"] = url


def resolved(environ: Mapping[str, str]) -> Mapping[str, str]:
    """``environ`` as the settings read it: with ``CLOCKWORK_STORE`` from the original's
    variables when they apply (a copy then; ``environ`` itself is left alone)."""
    url = legacy_store_url(environ)
    return environ if url is None else {**environ, "CLOCKWORK_STORE": url}
