#!/usr/bin/env python3
"""Build the custom resource's Lambda deployment package: ``clockwork-cfn-resource-lambda.zip``.

    python infra/lambda_zip.py --out dist/ [--python-version 3.13]
    python3 dev.py nox -s lambda-zip            (the same, in the workspace's environment)

The function runs on AWS Lambda's **arm64 Python 3.13 runtime** (``LAMBDA_PYTHON``): the
package is resolved for that interpreter on ``aarch64-manylinux2014``. Its handler is
``clockwork_cfn_resource.handler.handler``.

What goes in, and why it is exactly what the tests ran against:

1. The third-party dependencies are exported from ``uv.lock`` (``uv export --frozen``,
   with hashes) and installed with ``--no-deps --require-hashes --only-binary :all:``:
   the locked versions, the locked files, nothing resolved anew.
2. Every one of them must be a pure-Python wheel (``py3-none-any``): the build stops,
   naming the package, if any is not, since a wheel built for this machine would not run
   on the Lambda's.
3. The workspace packages (clockwork-core, -dynamodb, -ecs, -cfn-resource) are built from
   this checkout and installed with ``--no-deps``.

What is trimmed (the Lambda never loads it), see ``trimmed()``:

* botocore's service models other than DynamoDB's (``botocore/data/<service>/``; the
  files directly in ``botocore/data/``, such as ``endpoints.json``, ``partitions.json``,
  ``_retry.json`` and ``sdk-default-configuration.json``, stay), and boto3's resource
  models other than DynamoDB's;
* ``__pycache__``, ``*.pyc``, ``*.pyi`` type stubs, console scripts (``bin/``), uv's ``.lock``;
* ``tests/`` folders of third-party packages; the workspace's own test kits
  (``clockwork_core/testing``, ``clockwork_dynamodb/testing``) and the cfn-lint rules
  (``clockwork_cfn_resource/lint``, which need cfn-lint, not installed here);
* in ``*.dist-info``, everything but ``METADATA``, ``WHEEL``, ``entry_points.txt``,
  ``top_level.txt`` and licence files: clockwork finds its store and launcher plugins
  through entry points, so the metadata stays; ``RECORD``, ``INSTALLER``,
  ``direct_url.json`` (which names this checkout's path) and the like go.

The zip is deterministic: entries sorted, every timestamp 1980-01-01 00:00, permissions
0644, one compression level. Building an unchanged checkout twice gives the same sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

#: The Lambda runtime the package is built for: python3.13 on arm64 (Graviton).
LAMBDA_PYTHON = "3.13"
#: The platform uv resolves wheels for; pure-Python wheels only, so this is a safeguard.
LAMBDA_PLATFORM = "aarch64-manylinux2014"
ZIP_NAME = "clockwork-cfn-resource-lambda.zip"
HANDLER = "clockwork_cfn_resource.handler.handler"

ROOT = Path(__file__).resolve().parent.parent
#: The package the Lambda runs, and the workspace packages it needs (installed --no-deps).
PACKAGE = "clockwork-cfn-resource"
WORKSPACE_PACKAGES = ("clockwork-core", "clockwork-dynamodb", "clockwork-ecs", "clockwork-cfn-resource")
#: The AWS service models kept (botocore/data/<name>/, boto3/data/<name>/).
SERVICES = frozenset({"dynamodb"})
#: The workspace's own modules the Lambda never imports.
FIRST_PARTY_UNUSED = frozenset(
    {
        "clockwork_core/testing",
        "clockwork_dynamodb/testing",
        "clockwork_cfn_resource/lint",
        "clockwork_cfn_resource/testing.py",
    }
)
#: Kept in each *.dist-info: importlib.metadata needs METADATA and entry_points.txt.
DIST_INFO_KEPT = frozenset({"METADATA", "WHEEL", "entry_points.txt", "top_level.txt"})
LICENCE = re.compile(r"^(LICEN[CS]E|NOTICE|COPYING|AUTHORS)", re.IGNORECASE)
#: Entries of a fixed date (the earliest a zip can hold) and mode.
EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
COMPRESS_LEVEL = 9
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


class BuildError(Exception):
    """The package cannot be built as asked; the message says why."""


def build(out_dir: Path, *, python_version: str = LAMBDA_PYTHON) -> Path:
    """Build the zip into ``out_dir`` for Python ``python_version``; returns its path."""
    if not re.fullmatch(r"3\.\d+", python_version):
        raise BuildError(f"--python-version {python_version!r} is not of the form 3.N")
    uv = find_uv()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clockwork-lambda-") as scratch:
        target = Path(scratch) / "package"
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(export_requirements(uv))
        install = [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--target",
            str(target),
            "--python-version",
            python_version,
            "--python-platform",
            LAMBDA_PLATFORM,
            "--no-deps",
        ]
        run(
            [*install, "--only-binary", ":all:", "--require-hashes", "-r", str(requirements)],
            "installing the locked dependencies (pure-Python wheels only)",
        )
        check_pure(target)
        run(
            [*install, *(str(ROOT / "packages" / name) for name in WORKSPACE_PACKAGES)],
            "installing the workspace packages",
        )
        check_pure(target)
        destination = out_dir / ZIP_NAME
        partial = destination.with_name(destination.name + ".partial")
        write_zip(target, partial)
        partial.replace(destination)
    return destination


def find_uv() -> Path:
    """``$UV``, else ``uv`` on the PATH, else the one dev.py installs in ``.tools/``."""
    candidates = [os.environ.get("UV"), shutil.which("uv"), str(ROOT / ".tools" / "bin" / "uv")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise BuildError("uv not found: set $UV, put uv on the PATH, or run `python3 dev.py` once")


def export_requirements(uv: Path) -> str:
    """The locked third-party dependencies of the Lambda's package, pinned with hashes."""
    return run(
        [
            str(uv),
            "export",
            "--frozen",
            "--package",
            PACKAGE,
            "--no-dev",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
            "--format",
            "requirements.txt",
        ],
        "exporting the requirements from uv.lock",
    )


def run(command: Sequence[str], doing: str) -> str:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(
            f"{doing} failed (exit {done.returncode}): {' '.join(command)}\n{done.stderr.strip()}"
        )
    return done.stdout


def check_pure(target: Path) -> None:
    """Every installed distribution is a pure-Python wheel, and no native code is there."""
    impure: list[str] = []
    for dist_info in sorted(target.glob("*.dist-info")):
        wheel = dist_info / "WHEEL"
        fields = _fields(wheel.read_text()) if wheel.is_file() else []
        tags = [value for key, value in fields if key == "Tag"]
        purelib = ("Root-Is-Purelib", "true") in fields
        if not tags or not purelib or not all(tag.endswith("-none-any") for tag in tags):
            impure.append(f"{dist_info.name[: -len('.dist-info')]} (tags: {', '.join(tags) or 'none'})")
    native = sorted(str(path.relative_to(target)) for path in _files(target) if _is_native(path))
    if impure or native:
        raise BuildError(
            "the Lambda package takes pure-Python wheels only, so that it runs on any "
            "architecture; not pure: " + "; ".join([*impure, *native[:10]])
        )


def _fields(text: str) -> list[tuple[str, str]]:
    pairs = (line.partition(":") for line in text.splitlines())
    return [(key.strip(), value.strip()) for key, sep, value in pairs if sep]


def _is_native(path: Path) -> bool:
    return path.suffix in NATIVE_SUFFIXES or ".so." in path.name


def _files(root: Path) -> Iterator[Path]:
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield Path(folder, name)


def trimmed(relative: PurePosixPath) -> bool:
    """Whether the file at ``relative`` (to the install root) is left out of the zip."""
    parts = relative.parts
    top = parts[0]
    if "__pycache__" in parts or relative.suffix in (".pyc", ".pyi"):
        return True
    if top == "bin" or relative == PurePosixPath(".lock"):
        return True
    if top.endswith(".dist-info"):
        return not (
            (len(parts) == 2 and parts[1] in DIST_INFO_KEPT)
            or parts[1] == "licenses"
            or LICENCE.match(parts[1]) is not None
        )
    if top in ("botocore", "boto3") and len(parts) > 3 and parts[1] == "data":
        return parts[2] not in SERVICES
    if len(parts) >= 2 and "/".join(parts[:2]) in FIRST_PARTY_UNUSED:
        return True
    return not top.startswith("clockwork_") and len(parts) > 2 and parts[1] in ("tests", "test")


def write_zip(source: Path, destination: Path) -> None:
    """Zip ``source``'s kept files, in sorted order, with fixed times and modes."""
    entries = sorted(
        (PurePosixPath(name) for name in (path.relative_to(source).as_posix() for path in _files(source))),
        key=str,
    )
    entries = [relative for relative in entries if not trimmed(relative)]
    with zipfile.ZipFile(destination, "w") as archive:
        for relative in entries:
            info = zipfile.ZipInfo(str(relative), date_time=EPOCH)
            info.create_system = 3  # Unix, whatever builds it, so that the mode below holds
            info.external_attr = (0o100000 | FILE_MODE) << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(
                info,
                (source / relative).read_bytes(),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=COMPRESS_LEVEL,
            )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lambda_zip.py",
        description=(
            f"Build {ZIP_NAME}, the CloudFormation custom resource's Lambda package "
            f"(handler {HANDLER}), from uv.lock: pure-Python wheels for the arm64 runtime."
        ),
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "dist", help="folder to write the zip to (default: dist/)"
    )
    parser.add_argument(
        "--python-version",
        default=LAMBDA_PYTHON,
        help=f"the Lambda runtime's Python, as 3.N (default: {LAMBDA_PYTHON})",
    )
    args = parser.parse_args(argv)
    try:
        path = build(args.out, python_version=args.python_version)
    except BuildError as exc:
        print(f"lambda_zip.py: error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(path) as archive:
        count = len(archive.infolist())
    print(f"{path}: python {args.python_version} on {LAMBDA_PLATFORM}, handler {HANDLER}")
    print(f"  {count} files, {path.stat().st_size:,} bytes")
    print(f"  sha256 {sha256(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
