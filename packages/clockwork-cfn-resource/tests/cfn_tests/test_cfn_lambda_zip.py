"""The Lambda package ``infra/lambda_zip.py`` builds, run on its own.

The zip is built once (for the Python running the tests: the dependencies are all pure
Python and carry no markers, so it holds the same files as the 3.13 build), unzipped into
an empty folder, and each request runs in a fresh interpreter that sees only that folder
and the standard library (``lambda_runner.py``). It talks to moto's DynamoDB server and
answers the test's response server, as the deployed function would.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import attrs
import pytest
from clockwork_cfn_resource.testing import REGION, ResponseServer, event, original_properties
from clockwork_core.errors import ScheduleNotFound
from clockwork_core.store import Store
from clockwork_dynamodb.testing.emulators import FAKE_CREDENTIALS, Backend

ROOT = Path(__file__).resolve().parents[4]
BUILDER = ROOT / "infra" / "lambda_zip.py"
RUNNER = Path(__file__).with_name("lambda_runner.py")
RUNNING_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

pytestmark = pytest.mark.skipif(not BUILDER.is_file(), reason="infra/lambda_zip.py is not in this checkout")


@attrs.frozen
class Package:
    zip: Path
    folder: Path

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.zip) as archive:
            return archive.namelist()


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("lambda_zip", BUILDER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    build: Callable[..., Path] = _builder().build
    built = build(tmp_path_factory.mktemp("dist"), python_version=RUNNING_PYTHON)
    folder = tmp_path_factory.mktemp("lambda-task")
    assert not any(folder.iterdir())
    with zipfile.ZipFile(built) as archive:
        archive.extractall(folder)
    return Package(built, folder)


Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def invoke(package: Package, moto: Backend, tmp_path: Path) -> Invoke:
    """One invocation per call: a fresh interpreter with the package folder and the stdlib only."""
    environment = {
        **FAKE_CREDENTIALS,
        "AWS_REGION": REGION,
        "CLOCKWORK_DYNAMODB_ENDPOINT_URL": moto.endpoint,
        # Never the developer's ~/.aws: no profile, no config.
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def run(sent: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(RUNNER), str(package.folder)],
            input=json.dumps(sent),
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        report: dict[str, Any] = json.loads(done.stdout)
        return report

    return run


class TestTheZip:
    def test_it_holds_pure_python_only_and_dynamodb_is_the_only_service_model(self, package: Package) -> None:
        names = package.names()
        assert names == sorted(names)
        assert not [name for name in names if name.endswith((".so", ".pyd", ".pyc", ".pyi"))]
        assert not [name for name in names if "__pycache__" in name or name.startswith("bin/")]
        models = {
            PurePosixPath(name).parts[2]
            for name in names
            if name.startswith(("botocore/data/", "boto3/data/")) and len(PurePosixPath(name).parts) > 3
        }
        assert models == {"dynamodb"}
        for needed in ("endpoints.json", "partitions.json", "sdk-default-configuration.json", "_retry.json"):
            assert f"botocore/data/{needed}" in names
        assert "botocore/data/dynamodb/2012-08-10/service-2.json.gz" in names
        assert "botocore/cacert.pem" in names

    def test_its_metadata_keeps_the_entry_points_and_drops_what_names_the_build_machine(
        self, package: Package
    ) -> None:
        names = package.names()
        for plugin_package in ("clockwork_core", "clockwork_dynamodb", "clockwork_ecs"):
            assert f"{plugin_package}-0.1.0.dist-info/entry_points.txt" in names
            assert f"{plugin_package}-0.1.0.dist-info/METADATA" in names
        dropped = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
        assert not [name for name in names if name.endswith(dropped)]
        assert not [name for name in names if ".dist-info/uv_" in name]

    def test_every_entry_has_the_same_fixed_time_and_mode(self, package: Package) -> None:
        with zipfile.ZipFile(package.zip) as archive:
            entries = archive.infolist()
        assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
        assert {entry.external_attr >> 16 for entry in entries} == {0o100644}

    def test_the_workspace_test_kits_and_lint_rules_are_left_out(self, package: Package) -> None:
        names = package.names()
        for unused in (
            "clockwork_core/testing/",
            "clockwork_dynamodb/testing/",
            "clockwork_cfn_resource/lint/",
            "clockwork_cfn_resource/testing.py",
        ):
            assert not [name for name in names if name.startswith(unused)]
        assert "clockwork_cfn_resource/handler.py" in names


class TestTheUnzippedFunction:
    def test_a_create_then_a_delete_write_and_remove_the_schedule(
        self, invoke: Invoke, table: str, store: Store, responses: ResponseServer
    ) -> None:
        created = invoke(event("Create", original_properties(table), responses.url()))
        received = responses.wait(1)
        assert len(received) == 1
        answer = received[0].document
        assert answer["Status"] == "SUCCESS", answer
        assert created["document"]["Status"] == "SUCCESS"
        schedule_id = answer["PhysicalResourceId"]
        record = store.get(schedule_id)
        assert record.schedule.expression == "*/2 * * * *"
        assert record.schedule.name == "Do Accruals Nightly Processing"

        deleted = invoke(
            event("Delete", original_properties(table), responses.url(), physical_id=schedule_id),
        )
        received = responses.wait(2)
        assert len(received) == 2
        assert received[1].document["Status"] == "SUCCESS", received[1].document
        assert received[1].document["PhysicalResourceId"] == schedule_id
        assert deleted["document"]["Status"] == "SUCCESS"
        with pytest.raises(ScheduleNotFound):
            store.get(schedule_id)

    def test_it_finds_its_plugins_by_entry_point_and_imports_nothing_from_outside_the_package(
        self, invoke: Invoke, package: Package, table: str, responses: ResponseServer
    ) -> None:
        report = invoke(event("Create", original_properties(table), responses.url()))
        assert report["document"]["Status"] == "SUCCESS", report["document"]
        assert report["outside"] == []
        assert "dynamodb" in report["stores"]
        assert "ecs" in report["launchers"]
        assert report["broken"] == {}
        folder = str(package.folder.resolve())
        assert {"dynamodb", "ecs"} <= set(report["entry_points"])
        assert set(report["entry_points"].values()) == {folder}
        assert report["sys_path"][0] == folder
        assert not [entry for entry in report["sys_path"][1:] if "site-packages" in entry]
        # Without an endpoint override (as in AWS), the rule set in the zip resolves it.
        assert report["default_endpoint"] == "https://dynamodb.eu-west-1.amazonaws.com"
        assert report["ca_bundle"] is True


def test_a_dependency_that_is_not_a_pure_python_wheel_stops_the_build(tmp_path: Path) -> None:
    builder = _builder()
    dist_info = tmp_path / "fastjson-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "WHEEL").write_text(
        "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_aarch64\n"
    )
    with pytest.raises(builder.BuildError, match=r"pure-Python wheels only.*fastjson-1\.0"):
        builder.check_pure(tmp_path)


def test_a_stray_extension_module_stops_the_build(tmp_path: Path) -> None:
    builder = _builder()
    (tmp_path / "speedups").mkdir()
    (tmp_path / "speedups" / "_fast.cpython-311-aarch64-linux-gnu.so").write_bytes(b"\x7fELF")
    with pytest.raises(builder.BuildError, match=r"speedups/_fast"):
        builder.check_pure(tmp_path)


def test_zipping_the_unzipped_package_again_gives_the_same_bytes(package: Package, tmp_path: Path) -> None:
    builder = _builder()
    again = tmp_path / "again.zip"
    builder.write_zip(package.folder, again)
    assert builder.sha256(again) == builder.sha256(package.zip)
