"""Conformance kits that every store and launcher plugin runs in its own tests.

* :class:`StoreConformance`: one test per clause of the Store contract, races included.
* :class:`LauncherConformance`: what every launcher must do (validate, idempotent launch,
  describe, stop, the task's environment).
* :class:`RecordingLauncher`: an in-memory launcher for tests and benchmarks; it passes
  the launcher kit. Register it with :func:`register_recording_launcher`.

Install ``clockwork-core[testing]`` (pytest) to use them.

The names are imported on first use, so that the processes a store race spawns (which
import :mod:`clockwork_core.testing.contenders`) start without pytest and the kits.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if "pytest" in sys.modules:
    import pytest

    # The kits' assertions should explain themselves like a test's own: rewrite them.
    # This must happen before the modules are imported, which is why they are lazy.
    pytest.register_assert_rewrite(
        "clockwork_core.testing.launchers",
        "clockwork_core.testing.store_base",
        "clockwork_core.testing.store_completion",
        "clockwork_core.testing.store_firing",
        "clockwork_core.testing.store_races",
        "clockwork_core.testing.store_runs",
        "clockwork_core.testing.store_schedules",
        "clockwork_core.testing.store_unreadable",
    )

if TYPE_CHECKING:
    from clockwork_core.testing.launchers import EnvironmentProbe, LauncherConformance
    from clockwork_core.testing.recording import (
        RecordingLauncher,
        Script,
        register_recording_launcher,
        unregister_recording_launcher,
    )
    from clockwork_core.testing.stores import StoreConformance
    from clockwork_core.testing.support import T0, at, eventually, sample_run, sample_schedule

_HOMES = {
    "EnvironmentProbe": "launchers",
    "LauncherConformance": "launchers",
    "RecordingLauncher": "recording",
    "Script": "recording",
    "register_recording_launcher": "recording",
    "unregister_recording_launcher": "recording",
    "StoreConformance": "stores",
    "T0": "support",
    "at": "support",
    "eventually": "support",
    "sample_run": "support",
    "sample_schedule": "support",
}

__all__ = [
    "T0",
    "EnvironmentProbe",
    "LauncherConformance",
    "RecordingLauncher",
    "Script",
    "StoreConformance",
    "at",
    "eventually",
    "register_recording_launcher",
    "sample_run",
    "sample_schedule",
    "unregister_recording_launcher",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
