"""The repository as a clone has it: the files git tracks, and the folders holding them."""

from __future__ import annotations

import functools
import posixpath
import subprocess
from pathlib import Path, PurePosixPath


class Repository:
    """Tracked files by their path from the root (``packages/clockwork-core/README.md``)."""

    def __init__(self, root: Path, files: frozenset[str]) -> None:
        self.root = root
        self.files = files
        self.folders = frozenset(str(parent) for f in files for parent in PurePosixPath(f).parents) - {"."}
        #: The folders at the root (``infra``, ``packages``): a word starting ``infra/`` is a path.
        self.top_folders = frozenset(folder for folder in self.folders if "/" not in folder)

    @classmethod
    def of(cls, root: Path) -> Repository:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=False
        )
        if listed.returncode != 0:
            raise RuntimeError(
                f"git ls-files failed in {root} ({listed.stderr.strip()}): "
                "the documents are found as a clone has them; run the tests from a git checkout"
            )
        # A file deleted in the working tree but not yet from the index is not in a clone either.
        return cls(root, frozenset(f for f in listed.stdout.split("\0") if f and (root / f).exists()))

    def documents(self) -> list[str]:
        return sorted(f for f in self.files if f.endswith(".md"))

    def has(self, path: str) -> bool:
        """A tracked file, or a folder with tracked files in it."""
        path = path.rstrip("/") or "."
        return path in self.files or path in self.folders

    def relative(self, folder: str, target: str) -> str | None:
        """``target`` read from ``folder`` (both from the root), or None if it leaves the repository.

        A trailing ``/`` stays: git ignores ``dist/`` as a folder only when asked with it.
        """
        joined = posixpath.normpath(posixpath.join(folder, target))
        if joined == ".." or joined.startswith("../"):
            return None
        return joined + "/" if target.endswith("/") and joined != "." else joined

    def ending_with(self, scope: str, tail: str) -> list[str]:
        """The tracked files and folders under ``scope`` whose path ends in ``tail``."""
        tail = tail.rstrip("/")
        prefix = "" if scope in ("", ".") else scope.rstrip("/") + "/"
        return sorted(
            path
            for path in self.files | self.folders
            if path.startswith(prefix) and (path == tail or path.endswith("/" + tail))
        )

    @functools.cache  # noqa: B019 - one Repository per test session
    def ignored(self, path: str) -> bool:
        """Whether git ignores ``path``: something a command writes (``dist/``, ``.venv/``)."""
        checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=self.root, check=False)
        return checked.returncode == 0

    @staticmethod
    def scope_of(document: str) -> str:
        """Where a document's short paths are looked up: its package, else the whole repository."""
        parts = PurePosixPath(document).parts
        if len(parts) > 2 and parts[0] == "packages":
            return f"packages/{parts[1]}"
        return ""
