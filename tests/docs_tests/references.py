"""What a document points at besides commands: links, file paths, Python names.

- A relative link resolves to a file or folder git tracks, inside the repository (a clone
  has nothing outside it), and its ``#fragment`` to a heading of the Markdown it names.
- A path in inline code (``infra/lambda_zip.py``, ``tests/cfn_tests/``, ``schema.py``,
  anything under a top folder such as ``infra/Dockerfile``) is a tracked file or folder: read from the document's folder, from the root, or as the end of
  a path inside the document's package. Ignored paths are what commands write (``dist/``).
  ``file.py::Name`` also needs ``Name`` defined in that file.
- A dotted ``clockwork_*`` name in inline code imports, and a ``python`` fence's imports
  import.
"""

from __future__ import annotations

import ast
import importlib
import posixpath
import re
from collections.abc import Iterator
from urllib.parse import unquote

from .markdown import Document
from .repository import Repository

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: Extensions that make a span a file name: the kinds of file this repository tracks.
_EXTENSIONS = ("py", "pyi", "yaml", "yml", "json", "toml", "md", "mjs", "js", "lock", "txt", "cfg", "ini")
_PATH = re.compile(rf"^[\w.-][\w./-]*?(?:/|\.(?:{'|'.join(_EXTENSIONS)}))(?:::(\w+))?$")
#: Any path under one of the repository's top folders (``infra/Dockerfile``, ``examples/crontab``).
_UNDER_TOP = re.compile(r"^([\w.-]+)(?:/[\w.-]+)+/?$")
_DOTTED = re.compile(r"^clockwork_\w+(?:\.\w+)+$")


def links(repository: Repository, name: str, document: Document) -> Iterator[str]:
    folder = posixpath.dirname(name)
    for line, target in document.links():
        if _SCHEME.match(target):
            continue
        where = f"{name}:{line}: link {target!r}"
        path, _, fragment = unquote(target).partition("#")
        if not path:
            if fragment not in document.anchors():
                yield f"{where}: no heading here has the anchor #{fragment}"
            continue
        resolved = repository.relative("" if path.startswith("/") else folder, path.lstrip("/"))
        if resolved is None:
            yield f"{where}: points outside the repository, so a clone has no such file"
        elif not repository.has(resolved):
            yield f"{where}: {resolved} is not a file or folder in the repository (git ls-files)"
        elif fragment and resolved.endswith(".md"):
            anchors = Document.read(repository.root / resolved).anchors()
            if fragment not in anchors:
                yield f"{where}: {resolved} has no heading with the anchor #{fragment}"


def paths(repository: Repository, name: str, document: Document) -> Iterator[str]:
    folder = posixpath.dirname(name)
    scope = Repository.scope_of(name)
    for line, code in document.inline_code():
        if not _looks_like_path(repository, code):
            continue
        path, _, name_in_file = code.partition("::")
        found = [
            candidate
            for candidate in (repository.relative(folder, path), posixpath.normpath(path))
            if candidate is not None and repository.has(candidate)
        ]
        found = found or repository.ending_with(scope, path)
        if not found:
            if not repository.ignored(repository.relative(folder, path) or path):
                yield f"{name}:{line}: `{code}` names no file or folder of the repository"
            continue
        if name_in_file and not any(_defines(repository, f, name_in_file) for f in found):
            yield f"{name}:{line}: `{code}`: {found[0]} defines no {name_in_file}"


def python_names(name: str, document: Document) -> Iterator[str]:
    for line, code in document.inline_code():
        if _DOTTED.match(code) and not _resolves(code):
            yield f"{name}:{line}: `{code}` does not import"
    for fence in document.fences():
        if fence.language != "python" or not fence.lines:
            continue
        first = fence.lines[0][0]
        try:
            tree = ast.parse("\n".join(text for _, text in fence.lines))
        except SyntaxError as exc:
            yield f"{name}:{first + (exc.lineno or 1) - 1}: the Python example does not parse: {exc.msg}"
            continue
        for node in ast.walk(tree):
            where = f"{name}:{first + getattr(node, 'lineno', 1) - 1}"
            if isinstance(node, ast.Import):
                yield from (f"{where}: import {a.name} fails" for a in node.names if not _resolves(a.name))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if not _resolves(f"{node.module}.{alias.name}"):
                        yield f"{where}: from {node.module} import {alias.name} fails"


def _looks_like_path(repository: Repository, code: str) -> bool:
    """A relative path with a known extension or a final ``/``, or any path under a top folder."""
    if code.startswith(("~", "/")):
        return False
    under_top = _UNDER_TOP.match(code)
    return bool(_PATH.match(code)) or (under_top is not None and under_top.group(1) in repository.top_folders)


def _resolves(dotted: str) -> bool:
    """Whether ``a.b.c`` names a module, or an attribute of the longest module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(value, attribute):
                return False
            value = getattr(value, attribute)
        return True
    return False


def _defines(repository: Repository, path: str, name: str) -> bool:
    if path not in repository.files:
        return False
    text = (repository.root / path).read_text(encoding="utf-8", errors="replace")
    return re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b", text, re.MULTILINE) is not None
