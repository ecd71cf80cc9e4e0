"""Everything ``aws cloudformation package`` needs, in ``dist/``.

``python infra/package.py --out dist`` builds the Lambda's zip (see ``lambda_zip.py``) and
writes ``dist/clockwork.yaml``: ``template.yaml`` with the function's ``Code`` pointing at
the zip beside it. Then::

    aws cloudformation package --template-file dist/clockwork.yaml \\
        --s3-bucket BUCKET --output-template-file dist/clockwork.packaged.yaml
    aws cloudformation deploy --template-file dist/clockwork.packaged.yaml ...

(``infra/README.md`` has the whole sequence.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lambda_zip import LAMBDA_PYTHON, build  # noqa: E402

TEMPLATE = HERE / "template.yaml"
#: How template.yaml names the zip (relative to infra/), and how the packaged copy does.
SOURCE_CODE = "Code: ../dist/clockwork-cfn-resource-lambda.zip"


def package(out_dir: Path, *, python_version: str = LAMBDA_PYTHON) -> Path:
    """Build the zip into ``out_dir`` and write the template beside it; return the template."""
    archive = build(out_dir, python_version=python_version)
    text = TEMPLATE.read_text()
    if text.count(SOURCE_CODE) != 1:
        raise SystemExit(f"{TEMPLATE}: expected one line {SOURCE_CODE!r} to point at the zip")
    written = out_dir / "clockwork.yaml"
    written.write_text(text.replace(SOURCE_CODE, f"Code: {archive.name}"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the Lambda zip and a template beside it, ready for `aws cloudformation package`."
    )
    parser.add_argument("--out", type=Path, default=Path("dist"), help="the folder to write (default: dist)")
    parser.add_argument(
        "--python-version",
        default=LAMBDA_PYTHON,
        help=f"the Lambda runtime's Python (default {LAMBDA_PYTHON})",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = package(args.out, python_version=args.python_version)
    print(f"wrote {written} and {written.parent / 'clockwork-cfn-resource-lambda.zip'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
