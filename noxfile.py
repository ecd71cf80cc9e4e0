"""Every developer task is a nox session. ``python3 dev.py test`` runs ``nox -s ci``."""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = sorted(p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())
SOURCES = [str(p / "src") for p in PACKAGES]
#: Each package's tests, then infra's (templates, the image, the stack, the end-to-end run), then
#: the repository's own (its documents, checked against the code).
TESTS = [str(p / "tests") for p in PACKAGES if (p / "tests").exists()] + [
    str(ROOT / "infra" / "tests"),
    str(ROOT / "tests"),
]
INFRA = sorted(str(p) for p in (ROOT / "infra").glob("*.py"))

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["ci"]
nox.options.reuse_venv = "yes"


def sync(session: nox.Session) -> None:
    """Install the whole workspace, as locked, into the session's environment."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--all-packages",
        "--group",
        "dev",
        "--inexact",
        "--quiet",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def run_tests(session: nox.Session) -> None:
    args = session.posargs or ["-q", "-p", "no:cacheprovider", *TESTS]
    session.run("pytest", *args, env={"PYTHONHASHSEED": "0"})


def run_lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


def run_typecheck(session: nox.Session) -> None:
    session.run("mypy", *SOURCES, "noxfile.py", "dev.py", "benchmarks", *INFRA)
    # One run per package's tests: each package may have its own conftest.py.
    for tests in TESTS:
        session.run("mypy", tests)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pass pytest arguments after --)."""
    sync(session)
    run_tests(session)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    sync(session)
    run_lint(session)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package, its tests, and this file."""
    sync(session)
    run_typecheck(session)


@nox.session
def ci(session: nox.Session) -> None:
    """Everything CI runs: lint, type checks, then the whole test suite."""
    sync(session)
    run_lint(session)
    run_typecheck(session)
    run_tests(session)
    # The benchmarks' quick mode, so that the suite cannot rot (its numbers are not judged).
    session.run("python", "benchmarks/suite.py", "--quick", env={"PYTHONHASHSEED": "0"})


@nox.session
def fmt(session: nox.Session) -> None:
    """Apply ruff's formatting and safe fixes."""
    sync(session)
    session.run("ruff", "format", ".")
    session.run("ruff", "check", "--fix", ".")


@nox.session(name="lambda-zip")
def lambda_zip(session: nox.Session) -> None:
    """The custom resource's Lambda package, from uv.lock: writes dist/clockwork-cfn-resource-lambda.zip."""
    sync(session)
    session.run("python", "infra/lambda_zip.py", "--out", "dist/", *session.posargs)


@nox.session
def package(session: nox.Session) -> None:
    """The Lambda zip and dist/clockwork.yaml beside it, ready for `aws cloudformation package`."""
    sync(session)
    session.run("python", "infra/package.py", "--out", "dist/", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """End to end on emulators: the custom resource, three workers killed and restarted, ECS on moto."""
    sync(session)
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "infra/tests/e2e_tests",
        *session.posargs,
        env={"PYTHONHASHSEED": "0"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark: writes .bench/bench.json and .bench/bench.md (-- --quick for a short run, --only PART)."""
    sync(session)
    session.run("python", "benchmarks/suite.py", *session.posargs, env={"PYTHONHASHSEED": "0"})


@nox.session(name="golden", venv_backend="none")
def golden(session: nox.Session) -> None:
    """Regenerate the cron-parser / croner golden vectors (needs node and npm)."""
    session.chdir(ROOT / "packages" / "clockwork-core" / "tests" / "golden")
    session.run("npm", "ci", external=True)
    session.run("node", "generate.mjs", external=True)


@nox.session(name="golden-original", venv_backend="none")
def golden_original(session: nox.Session) -> None:
    """Regenerate the vectors of the original aws-ecs-clockwork's cron libraries (needs node and npm)."""
    session.chdir(ROOT / "packages" / "clockwork-core" / "tests" / "golden" / "original")
    session.run("npm", "ci", external=True)
    session.run("node", "generate.mjs", external=True, env={"TZ": "UTC"})
