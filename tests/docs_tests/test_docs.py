"""The documents say only what is true of this checkout.

Every Markdown file git tracks is read as a reader would use it: each command in a shell
fence or in inline code must exist (and cheap ones are run), each relative link must land
on a tracked file inside the repository, each path and Python name in inline code must
exist. A removed nox session, a renamed flag or a moved file fails here, naming the
document and the line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import references
from .commands import Checker, check_document
from .markdown import Document
from .repository import Repository

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def repository() -> Repository:
    return Repository.of(ROOT)


@pytest.fixture(scope="module")
def checker(repository: Repository) -> Checker:
    return Checker(repository)


def documents(repository: Repository) -> list[tuple[str, Document]]:
    return [(name, Document.read(ROOT / name)) for name in repository.documents()]


def problems_in(checker: Checker, name: str, text: str) -> list[str]:
    """Every problem the checks find in ``text``, read as the document ``name``."""
    document = Document(ROOT / name, text)
    return [
        *check_document(checker, name, document),
        *references.links(checker.repository, name, document),
        *references.paths(checker.repository, name, document),
        *references.python_names(name, document),
    ]


class TestTheDocuments:
    def test_they_include_the_readmes_and_the_architecture(self, repository: Repository) -> None:
        names = repository.documents()
        for expected in (
            "README.md",
            "ARCHITECTURE.md",
            "infra/README.md",
            "packages/clockwork-core/README.md",
        ):
            assert expected in names

    def test_the_commands_they_name_are_found(self, checker: Checker) -> None:
        # The reader's first two commands and the deploy path: if the parsing missed them,
        # every other test here would pass by checking nothing.
        found = {
            str(snippet)
            for name in ("README.md", "infra/README.md")
            for snippet in Document.read(ROOT / name).snippets()
        }
        assert {"python3 dev.py run", "python3 dev.py test", "python3 dev.py nox -s package"} <= found

    def test_every_command_exists_with_every_flag(self, checker: Checker, repository: Repository) -> None:
        problems = [
            p for name, document in documents(repository) for p in check_document(checker, name, document)
        ]
        assert not problems, "\n".join(problems)

    def test_every_relative_link_lands_on_a_tracked_file(self, repository: Repository) -> None:
        problems = [
            p
            for name, document in documents(repository)
            for p in references.links(repository, name, document)
        ]
        assert not problems, "\n".join(problems)

    def test_every_path_in_inline_code_exists(self, repository: Repository) -> None:
        problems = [
            p
            for name, document in documents(repository)
            for p in references.paths(repository, name, document)
        ]
        assert not problems, "\n".join(problems)

    def test_every_python_name_imports(self, repository: Repository) -> None:
        problems = [
            p for name, document in documents(repository) for p in references.python_names(name, document)
        ]
        assert not problems, "\n".join(problems)


class TestTheChecksCatchDrift:
    """Each check fails on a document that has drifted (written here, read as if tracked)."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("`python3 dev.py nox -s e2e-old`", "noxfile.py has no session 'e2e-old'"),
            ("`python3 dev.py nox -s lint e2e-old`", "noxfile.py has no session 'e2e-old'"),
            ("`python3 dev.py deploy`", "dev.py has no command 'deploy'"),
            ("`python3 dev.py test -- -s nosuch`", None),
            ("Run nox -s e2e-old by hand.", "nox -s e2e-old: noxfile.py has no such session"),
            ("`clockwork schedule frobnicate`", "clockwork schedule has no command 'frobnicate'"),
            ("`clockwork run --no-such-flag`", "clockwork run --help names no flag --no-such-flag"),
            (
                "`clockwork run` takes `--no-such-flag`",
                "no command this document names has the flag --no-such-flag",
            ),
            ("```sh\nclockwork next '* * * * *' --tz Mars/Olympus\n```", "the clockwork parser rejects it"),
            ("```sh\nclockwork schedule add x '* * * * *' --concurrency sometimes\n```", "invalid choice"),
            ("```sh\nclockwork next '61 * * * *'\n```", "exits 2: clockwork: invalid expression"),
            (
                "`cfn-lint --append-rules no_such_rules -t t.yaml`",
                "cfn-lint cannot load the rules module 'no_such_rules'",
            ),
            ("`cfn-lint --no-such-option`", "cfn-lint --help names no flag --no-such-option"),
            (
                "`pip install 'clockwork-cfn-resource[nosuch]'`",
                "clockwork-cfn-resource has no extra 'nosuch'",
            ),
            ("```sh\nmake deploy\n```", "no check knows the command 'make'"),
            ("```sh\ndocker build -f infra/NoDockerfile .\n```", "'infra/NoDockerfile': no such file"),
            ("```sh\ncd packages/nowhere && npm ci\n```", "cd packages/nowhere: no such folder"),
            ("```sh\ncd infra && npm ci\n```", "npm ci in infra: there is no package.json"),
            ("```sh\ncd infra && node generate.mjs\n```", "no script 'generate.mjs' in infra"),
            ("[design](../shared/DESIGN.md)", "points outside the repository"),
            ("[gone](docs/missing.md)", "docs/missing.md is not a file or folder in the repository"),
            ("[fire](infra/README.md#no-such-heading)", "infra/README.md has no heading with the anchor"),
            ("# Title\n[here](#no-such-heading)", "no heading here has the anchor #no-such-heading"),
            ("`infra/lambda_zip.py::no_such_function`", "infra/lambda_zip.py defines no no_such_function"),
            ("`infra/nothing.py`", "`infra/nothing.py` names no file or folder"),
            ("`clockwork_core.nothing_here`", "`clockwork_core.nothing_here` does not import"),
            (
                "```python\nfrom clockwork_core import Nothing\n```",
                "from clockwork_core import Nothing fails",
            ),
        ],
    )
    def test_it_reports(self, checker: Checker, text: str, expected: str | None) -> None:
        problems = problems_in(checker, "DRIFT.md", text)
        if expected is None:
            assert not problems
        else:
            assert any(expected in problem for problem in problems), problems

    @pytest.mark.parametrize(
        "text",
        [
            "`python3 dev.py nox -s tests -- -k dst` and `python3 dev.py nox -l`",
            "```sh\ncd packages/clockwork-core/tests/golden && npm ci && node generate.mjs\n```",
            "```sh\nclockwork next '30 2 * * *' --tz America/New_York --after 2026-03-06 --count 4\n```",
            "[top](README.md#architecture) [pkg](packages/clockwork-core) [site](https://example.com/x.md)",
            "`infra/lambda_zip.py::build`, `dist/clockwork.yaml` (built), `clockwork_core.testing`",
            "`cfn-lint --append-rules clockwork_cfn_resource.lint -t template.yaml`, then `-t` and `--append-rules`",
            "```sh\naws cloudformation deploy --template-file infra/examples/original.yaml\n```",
        ],
    )
    def test_it_accepts_what_is_true(self, checker: Checker, text: str) -> None:
        assert problems_in(checker, "README.md", text) == []
