"""What a Markdown document names: shell commands, inline code, links, headings.

Only what a reader would copy or follow counts: lines of ``sh``/``bash``/``shell``/``console``
fences (``$`` prompts dropped, ``\\`` continuations joined), inline code spans outside fences,
and links outside code. Fences of any other language are output or examples, except
``python``, whose imports are checked.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import attrs

SHELL_FENCES = frozenset({"sh", "bash", "shell", "console", "zsh"})
#: Tokens that end one command of a shell line and start the next.
SEPARATORS = frozenset({"&&", "||", "|", ";", "&"})

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


@attrs.frozen
class Fence:
    language: str
    #: The line number (1-based) of each line inside the fence, with its text.
    lines: tuple[tuple[int, str], ...]


@attrs.frozen
class Snippet:
    """One line of shell a document names: where, and its commands split as the shell splits them."""

    line: int
    #: ``cd x && npm ci`` is two commands; each is its words.
    commands: tuple[tuple[str, ...], ...]
    #: True for a shell fence's line (meant to be run as written); False for inline code.
    runnable: bool

    def __str__(self) -> str:
        return " && ".join(shlex.join(argv) for argv in self.commands)


@attrs.frozen
class Document:
    path: Path
    text: str

    @classmethod
    def read(cls, path: Path) -> Document:
        return cls(path, path.read_text(encoding="utf-8"))

    def fences(self) -> list[Fence]:
        fences: list[Fence] = []
        opened: tuple[str, str, list[tuple[int, str]]] | None = None
        for number, line in enumerate(self.text.splitlines(), 1):
            match = _FENCE.match(line)
            if opened is None:
                if match:
                    opened = (match.group(1), match.group(2).lower(), [])
            elif match and match.group(1).startswith(opened[0]) and not match.group(2):
                fences.append(Fence(opened[1], tuple(opened[2])))
                opened = None
            else:
                opened[2].append((number, line))
        return fences

    def prose(self) -> list[tuple[int, str]]:
        """The lines outside fences, with their numbers."""
        inside = {number for fence in self.fences() for number, _ in fence.lines}
        lines = self.text.splitlines()
        fence_marks = {n for n, line in enumerate(lines, 1) if _FENCE.match(line)}
        return [(n, line) for n, line in enumerate(lines, 1) if n not in inside and n not in fence_marks]

    def inline_code(self) -> list[tuple[int, str]]:
        return [
            (number, match.group(2).strip())
            for number, line in self.prose()
            for match in _INLINE_CODE.finditer(line)
        ]

    def outside_shell(self) -> list[tuple[int, str]]:
        """Every line but those of shell fences, inline code cut out: what :meth:`snippets` leaves."""
        lines = [(number, _INLINE_CODE.sub(" ", line)) for number, line in self.prose()]
        for fence in self.fences():
            if fence.language not in SHELL_FENCES:
                lines.extend(fence.lines)
        return sorted(lines)

    def links(self) -> list[tuple[int, str]]:
        """Every link target outside code: inline, reference definitions, HTML href/src."""
        found: list[tuple[int, str]] = []
        for number, line in self.prose():
            text = _INLINE_CODE.sub("", line)
            for pattern in (_LINK, _REFERENCE, _HTML_LINK):
                found.extend((number, match.group(1)) for match in pattern.finditer(text))
        return found

    def anchors(self) -> set[str]:
        """The fragment ids GitHub gives this document's headings."""
        seen: dict[str, int] = {}
        anchors: set[str] = set()
        for _, line in self.prose():
            match = _HEADING.match(line)
            if not match:
                continue
            slug = github_slug(match.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
        return anchors

    def snippets(self) -> Iterator[Snippet]:
        """Every line of a shell fence, then every inline code span (which may be no command at all)."""
        for fence in self.fences():
            if fence.language in SHELL_FENCES:
                for number, text in _joined(fence.lines):
                    commands = split_commands(text)
                    if commands:  # not a comment alone
                        yield Snippet(number, commands, runnable=True)
        for number, code in self.inline_code():
            try:
                commands = split_commands(code)
            except ValueError:  # not shell at all (an unbalanced quote in a cron field, say)
                continue
            if commands:
                yield Snippet(number, commands, runnable=False)


def github_slug(heading: str) -> str:
    """The anchor GitHub derives from a heading's text: lower case, punctuation dropped, spaces as -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def split_commands(text: str) -> tuple[tuple[str, ...], ...]:
    """A shell line's commands, split at ``&&``, ``|``, ``;``; comments dropped."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands: list[tuple[str, ...]] = []
    current: list[str] = []
    for token in lexer:
        if token in SEPARATORS:
            commands.append(tuple(current))
            current = []
        else:
            current.append(token)
    commands.append(tuple(current))
    return tuple(command for command in commands if command)


def _joined(lines: tuple[tuple[int, str], ...]) -> Iterator[tuple[int, str]]:
    """Lines with ``\\`` continuations joined and ``$`` prompts dropped, numbered by their first line."""
    start, parts = 0, list[str]()
    for number, line in lines:
        text = line.strip()
        if not parts:
            start = number
            text = text.removeprefix("$ ")
        if text.endswith("\\"):
            parts.append(text[:-1])
            continue
        parts.append(text)
        joined = " ".join(parts).strip()
        parts = []
        if joined:
            yield start, joined
    if parts:
        yield start, " ".join(parts)
