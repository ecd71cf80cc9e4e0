"""A small reader of ``infra/Dockerfile`` (and ``.dockerignore``), for its tests.

It knows what the Dockerfile uses, no more: global ``ARG`` defaults, stages (``FROM
image [AS name]``), ``ENV``, ``RUN`` (with its ``--mount`` flags set apart), ``COPY``,
``WORKDIR``, ``USER``, ``EXPOSE``, ``HEALTHCHECK``, ``ENTRYPOINT`` and ``CMD``; line
continuations and comment lines as Docker reads them. The tests run the builder's ``RUN``
lines as this reader returns them, so that what is verified is what the image runs.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, ENV, ...
    arguments: str  # continuations joined, comment lines dropped
    line: int  # where it starts, 1-based


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]
    destination: str
    from_stage: str | None


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: list[str] | str  # exec form (a list) or shell form (a string)


@dataclass
class Stage:
    name: str | None
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def runs(self) -> list[str]:
        """Each RUN's command line, without its flags (``--mount=...``)."""
        return [run_command(i) for i in self.of("RUN")]

    def env(self, initial: Mapping[str, str] | None = None) -> dict[str, str]:
        """The ENV lines, in order; ``$VAR`` expands from ``initial`` and earlier lines."""
        values = dict(initial or {})
        for instruction in self.of("ENV"):
            tokens = shlex.split(instruction.arguments)
            if tokens and "=" not in tokens[0]:  # the old form: ENV KEY value with spaces
                pairs = [(tokens[0], " ".join(tokens[1:]))]
            else:
                pairs = [tuple(token.split("=", 1)) for token in tokens]  # type: ignore[misc]
            updates = {key: expand(value, values) for key, value in pairs}
            values.update(updates)
        return values

    def copies(self) -> list[Copy]:
        return [parse_copy(i) for i in self.of("COPY")]

    def workdir(self) -> str | None:
        found = self.of("WORKDIR")
        return found[-1].arguments if found else None

    def user(self) -> str | None:
        found = self.of("USER")
        return found[-1].arguments if found else None

    def exposed(self) -> list[str]:
        return [port for i in self.of("EXPOSE") for port in i.arguments.split()]

    def entrypoint(self) -> list[str] | None:
        return _exec_form(self.of("ENTRYPOINT"))

    def cmd(self) -> list[str] | None:
        return _exec_form(self.of("CMD"))

    def healthcheck(self) -> Healthcheck | None:
        found = self.of("HEALTHCHECK")
        if not found:
            return None
        flags, rest = split_flags(found[-1].arguments)
        keyword, _, command = rest.partition(" ")
        if keyword.upper() != "CMD":
            return None  # HEALTHCHECK NONE
        command = command.strip()
        return Healthcheck(flags, json.loads(command) if command.startswith("[") else command)


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        return cls.parse(path.read_text())

    @classmethod
    def parse(cls, text: str) -> Dockerfile:
        args: dict[str, str] = {}
        stages: list[Stage] = []
        for instruction in instructions(text):
            if instruction.keyword == "FROM":
                words = instruction.arguments.split()
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
                stages.append(Stage(name, expand(words[0], args)))
            elif not stages:
                if instruction.keyword == "ARG":
                    key, _, default = instruction.arguments.partition("=")
                    args[key.strip()] = default.strip()
            else:
                stages[-1].instructions.append(instruction)
        return cls(args, stages)

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"no stage named {name!r}")

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def instructions(text: str) -> Iterator[Instruction]:
    """The instructions, with continuations joined; comment and blank lines skipped."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue  # Docker drops comment lines, even inside a continuation
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        joined = " ".join(part for part in pending if part)
        pending = []
        keyword, _, arguments = joined.partition(" ")
        yield Instruction(keyword.upper(), arguments.strip(), start)
    if pending:
        raise ValueError(f"line {start}: a continuation that never ends")


def run_command(instruction: Instruction) -> str:
    """A RUN's command line, as ``/bin/sh -c`` gets it: without the RUN's own flags."""
    assert instruction.keyword == "RUN"
    return split_flags(instruction.arguments)[1]


def parse_copy(instruction: Instruction) -> Copy:
    assert instruction.keyword == "COPY"
    flags, rest = split_flags(instruction.arguments)
    paths = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    return Copy(tuple(paths[:-1]), paths[-1], flags.get("from"))


def split_flags(arguments: str) -> tuple[dict[str, str], str]:
    """``--mount=type=cache,target=/x --from=builder rest`` -> ({mount: ..., from: ...}, rest)."""
    flags: dict[str, str] = {}
    rest = arguments
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        key, _, value = flag[2:].partition("=")
        flags[key] = value
        rest = rest.lstrip()
    return flags, rest


def expand(text: str, values: Mapping[str, str]) -> str:
    """``$VAR`` and ``${VAR}`` from ``values`` (unknown ones: empty, as Docker does)."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), text)


def _exec_form(found: list[Instruction]) -> list[str] | None:
    if not found:
        return None
    text = found[-1].arguments
    if not text.startswith("["):
        raise ValueError(f"line {found[-1].line}: {found[-1].keyword} is not in exec form: {text}")
    value = json.loads(text)
    assert isinstance(value, list)
    return [str(item) for item in value]


# --- .dockerignore ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ignore:
    """``.dockerignore``: the last pattern that matches a path or one of its parents decides."""

    rules: tuple[tuple[bool, re.Pattern[str]], ...]  # (excluded?, pattern)

    @classmethod
    def read(cls, path: Path) -> Ignore:
        rules = []
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            excluded = not line.startswith("!")
            pattern = line.lstrip("!").strip().strip("/")
            rules.append((excluded, re.compile(_glob_regex(pattern))))
        return cls(tuple(rules))

    def excluded(self, relative: PurePosixPath) -> bool:
        candidates = [str(relative), *(str(parent) for parent in relative.parents if str(parent) != ".")]
        verdict = False
        for excluded, pattern in self.rules:
            if any(pattern.fullmatch(candidate) for candidate in candidates):
                verdict = excluded
        return verdict

    def context(self, root: Path, source: str) -> Iterable[PurePosixPath]:
        """The files of the build context at ``root`` that ``COPY source`` takes, relative to ``root``."""
        top = root / source
        for path in sorted([top, *top.rglob("*")] if top.is_dir() else [top]):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if path.is_file() and not self.excluded(relative):
                yield relative


def _glob_regex(pattern: str) -> str:
    """Go's filepath.Match, plus ``**`` for any number of folders, as a regex."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.index("]", index)
            out.append(pattern[index : end + 1])
            index = end + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
