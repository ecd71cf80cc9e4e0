"""Each command a document names, checked against the thing it names.

Cheap commands are run (``clockwork ... --help``, ``nox -l``, ``cfn-lint --help``,
``clockwork next``/``validate``); the rest are checked for existence: a ``dev.py`` command
in dev.py's dispatch, a nox session in ``nox -l``, a ``clockwork`` subcommand and its
flags in the real parser and in that subcommand's ``--help``, a cfn-lint rules module
importable, a workspace package's extra in its pyproject.toml, a script or folder where
the command reads it. What cannot run here (``aws``, ``docker``) is checked only for the
repository files it reads.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib.util
import os
import posixpath
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from .markdown import Document, Snippet, split_commands
from .repository import Repository

#: Commands that need what this machine does not have (an AWS account, a Docker daemon):
#: only the repository files they read are checked.
EXTERNAL = frozenset({"aws", "docker"})
#: Commands with nothing to check.
BUILTINS = frozenset({"export", "echo"})
#: The words that make an inline code span a command (elsewhere a span is a name: `uv`, `aws:`).
INLINE = frozenset({"dev.py", "nox", "clockwork", "cfn-lint", "pip"})
#: Inline code that is a flag alone (`--http HOST:PORT`, `-t`), not text starting with a dash.
_LONE_FLAG = re.compile(r"^(?:--[A-Za-z][\w-]*|-[A-Za-z])(?:[\s=]|$)")
#: Commands that only read (an expression's meaning): run as written, they must succeed.
PURE_CLOCKWORK = frozenset({"validate", "next"})


@attrs.define
class Outcome:
    problems: list[str] = attrs.Factory(list)
    #: The --help texts the snippet's commands were checked against (a lone flag elsewhere in
    #: the same document must appear in one of them).
    helps: list[str] = attrs.Factory(list)


class Checker:
    """Checks snippets; caches every help text and listing it reads."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self.bin = Path(sys.executable).parent
        self._commands: dict[str, Callable[[Sequence[str], str, bool, Outcome], str]] = {
            "dev.py": self._dev,
            "nox": self._nox,
            "clockwork": self._clockwork,
            "cfn-lint": self._cfn_lint,
            "pip": self._pip,
            "cd": self._cd,
            "npm": self._npm,
            "node": self._script,
            "python": self._script,
        }

    def check(self, snippet: Snippet) -> Outcome | None:
        """Problems with one snippet, or None when an inline span is no command."""
        outcome = Outcome()
        if not snippet.runnable and _word(snippet.commands[0]) not in INLINE:
            return None
        cwd = ""
        for written in snippet.commands:
            argv = _without_assignments(written)
            if not argv:
                continue
            word = _word(argv)
            self._paths(argv, cwd, outcome)
            if word in EXTERNAL or word in BUILTINS:
                continue
            handler = self._commands.get(word)
            if handler is None:
                outcome.problems.append(
                    f"no check knows the command {argv[0]!r} (add one to tests/docs_tests/commands.py)"
                )
                continue
            cwd = handler(_arguments(argv), cwd, snippet.runnable, outcome)
        return outcome

    # -- dev.py ---------------------------------------------------------------------------

    def _dev(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        if not args:
            return cwd
        command, rest = args[0], list(args[1:])
        known = dev_commands(self.repository.root / "dev.py")
        if command not in known:
            outcome.problems.append(f"dev.py has no command {command!r} (it has {', '.join(sorted(known))})")
        elif command == "test":
            self._nox(["-s", "ci", *rest], cwd, runnable, outcome)
        elif command == "nox":
            self._nox(rest, cwd, runnable, outcome)
        elif command == "run" and rest:
            self._clockwork(rest, cwd, runnable, outcome)
        return cwd

    # -- nox --------------------------------------------------------------------------------

    def _nox(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        own = list(args[: args.index("--")] if "--" in args else args)
        help_text = self.help(sys.executable, "-m", "nox", "--help")
        outcome.helps.append(help_text)
        sessions: list[str] = []
        taking = False
        for token in own:
            if token.startswith("-"):
                taking = token in ("-s", "-e", "--session", "--sessions")
                _flag_in_help(token, help_text, "nox", outcome)
            elif taking:
                sessions.append(token)
        known = self.nox_sessions()
        for name in sessions:
            if name not in known:
                outcome.problems.append(
                    f"noxfile.py has no session {name!r} (nox -l lists {', '.join(known)})"
                )
        return cwd

    @functools.cache  # noqa: B019 - one Checker per test session
    def nox_sessions(self) -> tuple[str, ...]:
        listing = self.help(sys.executable, "-m", "nox", "-l", "-f", "noxfile.py")
        return tuple(re.findall(r"^[*-] (\S+)", listing, flags=re.MULTILINE))

    # -- clockwork ----------------------------------------------------------------------------

    def _clockwork(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        self.help(str(self.bin / "clockwork"), "--help")  # the installed command runs
        parser, path, flags, problem = command_path(clockwork_parser(), args)
        if problem:
            outcome.problems.append(problem)
            return cwd
        # The help `clockwork PATH --help` prints, from the same parser, without a process each.
        help_text = parser.format_help()
        outcome.helps.append(help_text)
        for flag in flags:
            _flag_in_help(flag, help_text, " ".join(["clockwork", *path]), outcome)
        whole = runnable and "..." not in args and not {"-h", "--help"} & set(args)
        if whole and not outcome.problems:
            try:
                clockwork_parser().parse_args(list(args))
            except Exception as exc:  # the CLI's UsageError: one line naming the argument
                outcome.problems.append(f"the clockwork parser rejects it: {exc}")
                return cwd
            if path and path[0] in PURE_CLOCKWORK:
                ran = self._run([str(self.bin / "clockwork"), *args])
                if ran.returncode != 0:
                    outcome.problems.append(f"exits {ran.returncode}: {ran.stderr.strip()}")
        return cwd

    # -- cfn-lint, pip ----------------------------------------------------------------------------

    def _cfn_lint(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        help_text = self.help(str(self.bin / "cfn-lint"), "--help")
        outcome.helps.append(help_text)
        taking = False
        for token in args:
            if token.startswith("-"):
                taking = token in ("-a", "--append-rules")
                _flag_in_help(token, help_text, "cfn-lint", outcome)
            elif taking:
                # cfn-lint itself loads the module: --list-rules fails if it cannot.
                status, text = self.output(
                    str(self.bin / "cfn-lint"), "--append-rules", token, "--list-rules"
                )
                if status != 0:
                    last = text.strip().splitlines()[-1:] or [f"exit status {status}"]
                    outcome.problems.append(f"cfn-lint cannot load the rules module {token!r}: {last[0]}")
        return cwd

    def _pip(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        requirements = [a for a in args[1:] if not a.startswith("-")] if args[:1] == ["install"] else []
        for requirement in requirements:
            match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", requirement)
            if not match or not match.group(1).startswith("clockwork"):
                continue
            name, extras = match.group(1), [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
            pyproject = self.repository.root / "packages" / name / "pyproject.toml"
            if not pyproject.exists():
                outcome.problems.append(f"{name!r} is no package of this repository")
                continue
            known = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
            outcome.problems.extend(
                f"{name} has no extra {extra!r}" for extra in extras if extra not in known
            )
        return cwd

    # -- files and folders a command reads ----------------------------------------------------

    def _cd(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        target = self.repository.relative(cwd, args[0]) if args else None
        if target is None or not self.repository.has(target):
            outcome.problems.append(f"cd {args[0] if args else ''}: no such folder in the repository")
            return cwd
        return target.rstrip("/")

    def _npm(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        needed = {"ci": ("package.json", "package-lock.json"), "install": ("package.json",)}
        for name in needed.get(args[0] if args else "", ()):
            if not self.repository.has(posixpath.join(cwd, name)):
                outcome.problems.append(f"npm {args[0]} in {cwd or 'the root'}: there is no {name}")
        return cwd

    def _script(self, args: Sequence[str], cwd: str, runnable: bool, outcome: Outcome) -> str:
        if args[:1] == ["-m"] and len(args) > 1:
            if importlib.util.find_spec(args[1]) is None:
                outcome.problems.append(f"no module {args[1]!r} to run")
        elif args and not args[0].startswith("-"):
            script = self.repository.relative(cwd, args[0])
            if script is None or script not in self.repository.files:
                outcome.problems.append(f"no script {args[0]!r} in {cwd or 'the root'}")
        return cwd

    def _paths(self, argv: Sequence[str], cwd: str, outcome: Outcome) -> None:
        """Arguments naming a path under one of the repository's top folders must exist."""
        for token in argv[1:]:
            value = token.split("=", 1)[1] if token.startswith("-") and "=" in token else token
            if "/" not in value or value.split("/", 1)[0] not in self.repository.top_folders:
                continue
            path = self.repository.relative(cwd, value)
            if path is None or self.repository.has(path):
                continue
            if not self.repository.ignored(path):
                outcome.problems.append(f"{value!r}: no such file or folder in the repository")

    # -- running ----------------------------------------------------------------------------

    def help(self, *argv: str) -> str:
        """What a cheap command the checks rely on prints (``--help``, ``nox -l``); it must succeed."""
        status, text = self.output(*argv)
        if status != 0:
            raise RuntimeError(f"{' '.join(argv)} failed with exit status {status}: {text}")
        return text

    @functools.cache  # noqa: B019 - one Checker per test session
    def output(self, *argv: str) -> tuple[int, str]:
        """A cheap command's exit status and output (its stderr when it fails), run once."""
        ran = self._run(list(argv))
        return ran.returncode, ran.stdout if ran.returncode == 0 else ran.stderr.strip()

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        # The documents describe a plain environment: none of the caller's CLOCKWORK_* settings.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKWORK_")}
        env["COLUMNS"] = "200"  # one help line per flag
        return subprocess.run(
            argv, cwd=self.repository.root, env=env, capture_output=True, text=True, timeout=60, check=False
        )


def check_document(checker: Checker, name: str, document: Document) -> list[str]:
    """Every problem with the commands one document names, each as ``file:line: ...``."""
    problems: list[str] = []
    helps: list[str] = []
    for snippet in document.snippets():
        outcome = checker.check(snippet)
        if outcome is not None:
            problems.extend(f"{name}:{snippet.line}: `{snippet}`: {problem}" for problem in outcome.problems)
            helps.extend(outcome.helps)
    # A flag named alone (`--http HOST:PORT`) belongs to a command the same document names.
    for line, code in document.inline_code():
        words = split_commands(code)[0] if _LONE_FLAG.match(code) else ()
        if words and not any(_mentions(help_text, words[0]) for help_text in helps):
            problems.append(
                f"{name}:{line}: `{code}`: no command this document names has the flag {words[0]}"
            )
    # Prose too, and fences that are not shell: `nox -s NAME` wherever a reader meets it.
    for line, text in document.outside_shell():
        for session in re.findall(r"\bnox\s+-s\s+([a-z][\w-]*)", text):
            if session not in checker.nox_sessions():
                problems.append(f"{name}:{line}: nox -s {session}: noxfile.py has no such session")
    return problems


@functools.cache
def clockwork_parser() -> argparse.ArgumentParser:
    from clockwork_worker.cli import build_parser

    return build_parser()


def command_path(
    parser: argparse.ArgumentParser, args: Sequence[str]
) -> tuple[argparse.ArgumentParser, list[str], list[str], str | None]:
    """The subcommand ``args`` reach (its parser and path), the flags they give, or the first wrong one."""
    path: list[str] = []
    flags: list[str] = []
    current = parser
    positional = False
    tokens = iter(args)
    for token in tokens:
        if token in ("...", "--"):
            break
        if token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            flags.append(name)
            action = current._option_string_actions.get(name)
            if action is not None and action.nargs != 0 and "=" not in token:
                next(tokens, None)
            continue
        choices = _subcommands(current)
        if choices is None or positional:
            positional = True
            continue
        if token not in choices:
            where = " ".join(["clockwork", *path])
            return current, path, flags, f"{where} has no command {token!r} (it has {', '.join(choices)})"
        current = choices[token]
        path.append(token)
    return current, path, flags, None


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser] | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return None


@functools.cache
def dev_commands(dev_py: Path) -> frozenset[str]:
    """The commands dev.py's ``main`` dispatches on: ``command == "test"``, ``argv[0] in (...)``."""
    tree = ast.parse(dev_py.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and (
            (isinstance(node.left, ast.Name) and node.left.id == "command")
            or (isinstance(node.left, ast.Subscript) and ast.unparse(node.left) == "argv[0]")
        ):
            for comparator in node.comparators:
                values = comparator.elts if isinstance(comparator, ast.Tuple) else [comparator]
                found.update(
                    v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
    return frozenset(found)


def _flag_in_help(flag: str, help_text: str, command: str, outcome: Outcome) -> None:
    name = flag.split("=", 1)[0]
    if not _mentions(help_text, name):
        outcome.problems.append(f"{command} --help names no flag {name}")


def _mentions(help_text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag.split('=', 1)[0])}(?![\w-])", help_text) is not None


def _word(argv: Sequence[str]) -> str:
    """What kind of command ``argv`` is: ``python3 dev.py`` is dev.py, ``.venv/bin/clockwork`` clockwork."""
    first = _program(argv[0])
    if first in ("python", "python3"):
        return "dev.py" if len(argv) > 1 and _program(argv[1]) == "dev.py" else "python"
    return "pip" if first == "pip3" else first


def _program(word: str) -> str:
    """A program's name without its folder; a word that is no file path (``arn:aws:...``) as it is."""
    return word.rsplit("/", 1)[-1] if re.fullmatch(r"[\w.~/-]+", word) else word


def _arguments(argv: Sequence[str]) -> list[str]:
    """The arguments after the command's own words (``python3 dev.py``, ``clockwork``)."""
    interpreted = _program(argv[0]) in ("python", "python3") and _word(argv) == "dev.py"
    return list(argv[2:] if interpreted else argv[1:])


def _without_assignments(argv: Sequence[str]) -> tuple[str, ...]:
    """``VAR=value cmd ...`` runs ``cmd ...``."""
    words = list(argv)
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        words.pop(0)
    return tuple(words)
