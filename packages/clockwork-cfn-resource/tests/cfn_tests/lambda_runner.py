"""Runs the handler from an unzipped Lambda package, in an interpreter that has nothing else.

Started by ``test_cfn_lambda_zip.py`` as ``python -I -S lambda_runner.py PACKAGE_DIR`` with
one CloudFormation event as JSON on stdin: ``-I`` ignores ``PYTHON*`` variables, the user's
site-packages and this script's own folder; ``-S`` leaves out site-packages. The package
folder is then the only path besides the standard library's. This file imports nothing but
the standard library before it has put the package folder on ``sys.path``.

Prints one JSON document: the handler's answer, the clockwork plugins found by entry
point (and the folder each one's distribution is in), the endpoint botocore resolves for
DynamoDB without an override, and every imported module whose file is neither in the
package folder nor in the standard library (there should be none).
"""

from __future__ import annotations

import json
import sys
import sysconfig
from pathlib import Path
from typing import Any


class Context:
    """A Lambda invocation with 30 seconds left."""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    package = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(package))
    sent = json.load(sys.stdin)

    from clockwork_cfn_resource.handler import handler

    document = handler(sent, Context())

    import importlib.metadata

    import boto3
    import botocore.httpsession
    from clockwork_core import plugins

    entry_points = {
        entry_point.name: str(Path(str(entry_point.dist.locate_file(""))).resolve())
        for entry_point in importlib.metadata.entry_points(group=plugins.PROJECT)
        if entry_point.dist is not None
    }
    # The endpoint rules and partitions botocore needs when no endpoint URL is given (as
    # in AWS): resolved on client creation, no request is made.
    client = boto3.client("dynamodb", region_name="eu-west-1")
    default_endpoint = client.meta.endpoint_url
    client.close()
    ca_bundle = botocore.httpsession.get_cert_path(True)
    report: dict[str, Any] = {
        "document": document,
        "stores": sorted(plugins.store_factories()),
        "launchers": sorted(plugins.launcher_factories()),
        "broken": dict(plugins.BROKEN),
        "entry_points": entry_points,
        "default_endpoint": default_endpoint,
        "ca_bundle": ca_bundle is not None and Path(ca_bundle).is_file(),
        "sys_path": sys.path,
        "outside": outside(package),
    }
    print(json.dumps(report))


def outside(package: Path) -> list[str]:
    """Each imported module loaded from neither ``package`` nor the standard library."""
    paths = sysconfig.get_paths()
    stdlib = {Path(paths["stdlib"]).resolve(), Path(paths["platstdlib"]).resolve()}
    this = Path(__file__).resolve()  # as __main__ (and __mp_main__, once multiprocessing is imported)
    found = []
    for name, module in sorted(sys.modules.items()):
        locations = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or [])]
        for location in locations:
            if location is None:
                continue
            path = Path(location).resolve()
            if path == this or path.is_relative_to(package):
                continue
            in_stdlib = any(path.is_relative_to(root) for root in stdlib)
            if in_stdlib and not {"site-packages", "dist-packages"} & set(path.parts):
                continue
            found.append(f"{name}: {path}")
    return found


if __name__ == "__main__":
    main()
