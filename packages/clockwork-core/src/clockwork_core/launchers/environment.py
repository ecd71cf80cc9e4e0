"""The environment the process launcher gives a job: explicit, never the worker's own.

A job receives, in this order (a later source wins):

1. the base: ``PATH``, ``HOME``, ``USER``, ``LOGNAME``, ``SHELL``, ``LANG``, ``LANGUAGE``,
   every ``LC_*``, ``TZ`` and ``TMPDIR``, with the worker's values where the worker has
   them (``PATH`` is ``/usr/local/bin:/usr/bin:/bin`` where it has none);
2. the variables the target's ``pass_env`` names, with the worker's values (a name the
   worker does not have is left out);
3. the target's ``env``, as given (a crontab's ``NAME=value`` lines);
4. ``CLOCKWORK_SCHEDULE_ID``, ``CLOCKWORK_FIRE_TIME``, ``CLOCKWORK_RUN_ID`` and
   ``CLOCKWORK_FIRE_KEY``.

Nothing else of the worker's environment reaches a job: not its credentials (the
worker's ``AWS_*`` variables, which ``pass_env`` may not name), not its ``CLOCKWORK_*``
settings, not whatever its supervisor set. The wrapper that runs the job gets the base
alone, so the job cannot read the worker's variables from its parent's
``/proc/<pid>/environ`` either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clockwork_core.errors import InvalidValue

#: The names a job gets from the worker's environment without asking (and ``LC_*``).
BASE = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
#: The worker's variables that ``pass_env`` may not name: they hold its AWS credentials.
WITHHELD_PREFIX = "AWS_"


def base(worker: Mapping[str, str]) -> dict[str, str]:
    """What every job, and the job's wrapper, gets of the worker's environment ``worker``."""
    env = {name: value for name, value in worker.items() if name in BASE or name.startswith("LC_")}
    env.setdefault("PATH", DEFAULT_PATH)
    return env


def for_job(
    worker: Mapping[str, str],
    *,
    pass_env: Sequence[str],
    env: Mapping[str, str],
    fire: Mapping[str, str],
) -> dict[str, str]:
    """A job's whole environment; see the module's documentation for the order."""
    job = base(worker)
    job.update({name: worker[name] for name in pass_env if name in worker})
    job.update(env)
    job.update(fire)
    return job


def parse_pass_env(value: object) -> tuple[str, ...]:
    """Check a target's ``pass_env``: a list of variable names, none of them ``AWS_*``."""
    field = "target.params.pass_env"
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InvalidValue(field, f"expected a list of variable names, got {type(value).__name__}")
    names: list[str] = []
    for index, name in enumerate(value):
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise InvalidValue(field, f"item {index}, {name!r}, is not a variable name")
        if name.upper().startswith(WITHHELD_PREFIX):
            raise InvalidValue(
                field,
                f"{name!r}: the worker's AWS_* variables are never passed to jobs (they hold its "
                "credentials); give the job its own in env",
            )
        names.append(name)
    return tuple(names)
