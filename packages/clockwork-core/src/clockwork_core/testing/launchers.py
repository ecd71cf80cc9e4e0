"""The launcher conformance kit: what every :class:`~clockwork_core.launcher.Launcher` must do.

A launcher plugin subclasses :class:`LauncherConformance` in its own tests and supplies
the launcher and the params of three kinds of task::

    from clockwork_core.testing import EnvironmentProbe, LauncherConformance

    class TestNomadLauncher(LauncherConformance):
        @pytest.fixture
        def launcher(self, nomad_agent: str) -> Iterator[Launcher]:
            launcher = NomadLauncher(address=nomad_agent)
            yield launcher
            launcher.close()

        @pytest.fixture
        def succeeding_params(self) -> Mapping[str, Any]:
            return {"job": "true"}

        ... failing_params (exits with self.failing_exit_code), long_running_params,
        ... invalid_params, and optionally unknown_handle and environment_probe.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import pytest

from clockwork_core.errors import InvalidValue
from clockwork_core.launcher import Launched, Launcher, LaunchRequest, Observation, Phase
from clockwork_core.model import fire_key, run_id_for
from clockwork_core.testing.support import T0, eventually

_TERMINAL = (Phase.SUCCEEDED, Phase.FAILED)


@attrs.frozen
class EnvironmentProbe:
    """How to see the environment a task was started with.

    ``params`` start a task that records its environment somewhere the plugin can read;
    ``read(launched)`` returns what the task saw, or None while it has not been recorded.
    """

    params: Mapping[str, Any]
    read: Callable[[Launched], Mapping[str, str] | None]


class Tasks:
    """Launches for one test; stops whatever they started when the test ends."""

    def __init__(self, launcher: Launcher, deadline: float) -> None:
        self.launcher = launcher
        self.deadline = deadline
        self.handles: list[str] = []

    def request(self, params: Mapping[str, Any], *, attempt: int = 1) -> LaunchRequest:
        """A request for a fire of a schedule no other test (or earlier run) used."""
        schedule_id = f"conformance-{uuid.uuid4().hex[:12]}"
        return LaunchRequest(
            schedule_id=schedule_id,
            instant=T0,
            run_id=run_id_for(T0),
            key=fire_key(schedule_id, T0),
            attempt=attempt,
            params=params,
        )

    def launch(self, request: LaunchRequest) -> Launched:
        launched = self.launcher.launch(request)
        self.handles.extend(h for h in launched.handles if h not in self.handles)
        return launched

    def start(self, params: Mapping[str, Any]) -> Launched:
        return self.launch(self.request(params))

    def observe(self, launched: Launched) -> Sequence[Observation]:
        return self.launcher.describe(launched.handles)

    def until_stopped(self, launched: Launched, what: str) -> Sequence[Observation]:
        """Poll until every handle reaches a terminal phase."""
        return eventually(
            lambda: self.observe(launched),
            lambda seen: all(o.phase in _TERMINAL for o in seen),
            what=what,
            deadline=self.deadline,
        )

    def stop_all(self) -> None:
        for handle in self.handles:
            with contextlib.suppress(Exception):  # best effort: the test's result stands
                self.launcher.stop(handle, reason="clockwork conformance kit: test over")


class LauncherConformance:
    """Every clause of the Launcher contract, as tests. Subclass it as ``Test<YourLauncher>``."""

    #: The exit code the ``failing_params`` task exits with.
    failing_exit_code: ClassVar[int] = 3
    #: Seconds a task may take to reach the state a test waits for.
    deadline: ClassVar[float] = 60.0

    # --- what the plugin supplies -----------------------------------------------------

    @pytest.fixture
    def launcher(self) -> Iterator[Launcher]:
        """The launcher under test; close it afterwards."""
        raise NotImplementedError(f"{type(self).__name__} must override the `launcher` fixture")

    @pytest.fixture
    def succeeding_params(self) -> Mapping[str, Any]:
        """Params of a task that exits 0 soon."""
        raise NotImplementedError(f"{type(self).__name__} must override `succeeding_params`")

    @pytest.fixture
    def failing_params(self) -> Mapping[str, Any]:
        """Params of a task that exits with ``failing_exit_code`` soon."""
        raise NotImplementedError(f"{type(self).__name__} must override `failing_params`")

    @pytest.fixture
    def long_running_params(self) -> Mapping[str, Any]:
        """Params of a task that runs far longer than a test (until it is stopped)."""
        raise NotImplementedError(f"{type(self).__name__} must override `long_running_params`")

    @pytest.fixture
    def invalid_params(self) -> Sequence[Mapping[str, Any]]:
        """Junk params, each of which ``validate`` must reject."""
        raise NotImplementedError(f"{type(self).__name__} must override `invalid_params`")

    @pytest.fixture
    def unknown_handle(self) -> str:
        """A well-formed handle of no task the launcher knows."""
        return "clockwork-conformance-no-such-task"

    @pytest.fixture
    def environment_probe(self) -> EnvironmentProbe | None:
        """How to read back the environment a task saw; None skips that test."""
        return None

    @pytest.fixture
    def tasks(self, launcher: Launcher) -> Iterator[Tasks]:
        tasks = Tasks(launcher, self.deadline)
        yield tasks
        tasks.stop_all()

    # --- validate ---------------------------------------------------------------------

    def test_it_has_a_launcher_name(self, launcher: Launcher) -> None:
        assert isinstance(launcher.name, str)
        assert launcher.name

    def test_it_accepts_the_params_of_each_kind_of_task(
        self,
        launcher: Launcher,
        succeeding_params: Mapping[str, Any],
        failing_params: Mapping[str, Any],
        long_running_params: Mapping[str, Any],
    ) -> None:
        for params in (succeeding_params, failing_params, long_running_params):
            launcher.validate(params)

    def test_it_rejects_junk_params_naming_the_field(
        self, launcher: Launcher, invalid_params: Sequence[Mapping[str, Any]]
    ) -> None:
        assert invalid_params, "invalid_params should hold at least one example"
        for params in invalid_params:
            with pytest.raises(InvalidValue) as caught:
                launcher.validate(params)
            assert caught.value.field.startswith("target.params."), (params, caught.value.field)
            assert caught.value.reason, params

    def test_it_rejects_an_unknown_param_by_name(
        self, launcher: Launcher, succeeding_params: Mapping[str, Any]
    ) -> None:
        with pytest.raises(InvalidValue) as caught:
            launcher.validate({**succeeding_params, "no_such_parameter": 1})
        assert caught.value.field == "target.params.no_such_parameter"

    # --- launch -----------------------------------------------------------------------

    def test_it_launches_a_task_and_returns_its_handles(
        self, tasks: Tasks, succeeding_params: Mapping[str, Any]
    ) -> None:
        launched = tasks.start(succeeding_params)
        assert isinstance(launched, Launched)
        assert launched.handles
        assert all(isinstance(handle, str) and handle for handle in launched.handles)

    def test_it_does_not_launch_one_key_twice(
        self, tasks: Tasks, long_running_params: Mapping[str, Any]
    ) -> None:
        request = tasks.request(long_running_params)
        first = tasks.launch(request)
        assert tasks.launch(request) == first
        assert tasks.launch(attrs.evolve(request, attempt=2)) == first

    def test_it_launches_different_keys_apart(
        self, tasks: Tasks, long_running_params: Mapping[str, Any]
    ) -> None:
        first = tasks.start(long_running_params)
        second = tasks.start(long_running_params)
        assert not set(first.handles) & set(second.handles)

    # --- describe ---------------------------------------------------------------------

    def test_it_describes_one_observation_per_handle_in_order(
        self, tasks: Tasks, succeeding_params: Mapping[str, Any], unknown_handle: str
    ) -> None:
        launched = tasks.start(succeeding_params)
        handles = [*launched.handles, unknown_handle, *launched.handles]
        observations = tasks.launcher.describe(handles)
        assert [o.handle for o in observations] == handles
        assert observations[len(launched.handles)].phase is Phase.UNKNOWN

    def test_it_describes_no_handles_as_nothing(self, launcher: Launcher) -> None:
        assert list(launcher.describe([])) == []

    def test_it_reports_an_unknown_handle_as_unknown(self, launcher: Launcher, unknown_handle: str) -> None:
        [observation] = launcher.describe([unknown_handle])
        assert (observation.handle, observation.phase) == (unknown_handle, Phase.UNKNOWN)

    def test_it_reports_a_succeeding_task_as_succeeded_with_exit_code_zero(
        self, tasks: Tasks, succeeding_params: Mapping[str, Any]
    ) -> None:
        launched = tasks.start(succeeding_params)
        for observation in tasks.until_stopped(launched, "the succeeding task's end"):
            assert observation.phase is Phase.SUCCEEDED, observation
            assert observation.exit_codes, observation
            assert set(observation.exit_codes.values()) == {0}, observation

    def test_it_reports_a_failing_task_as_failed_with_its_exit_code(
        self, tasks: Tasks, failing_params: Mapping[str, Any]
    ) -> None:
        launched = tasks.start(failing_params)
        for observation in tasks.until_stopped(launched, "the failing task's end"):
            assert observation.phase is Phase.FAILED, observation
            assert self.failing_exit_code in observation.exit_codes.values(), observation

    def test_it_reports_a_long_running_task_as_running(
        self, tasks: Tasks, long_running_params: Mapping[str, Any]
    ) -> None:
        launched = tasks.start(long_running_params)
        for observation in tasks.observe(launched):
            assert observation.phase is Phase.RUNNING, observation

    # --- stop -------------------------------------------------------------------------

    def test_it_stops_a_long_running_task(self, tasks: Tasks, long_running_params: Mapping[str, Any]) -> None:
        launched = tasks.start(long_running_params)
        for handle in launched.handles:
            tasks.launcher.stop(handle, reason="stopped by the conformance kit")
        for observation in tasks.until_stopped(launched, "the stopped task's end"):
            assert observation.phase is Phase.FAILED or observation.stop_reason, observation

    def test_it_stops_a_finished_task_without_error(
        self, tasks: Tasks, succeeding_params: Mapping[str, Any]
    ) -> None:
        launched = tasks.start(succeeding_params)
        before = tasks.until_stopped(launched, "the succeeding task's end")
        for handle in launched.handles:
            tasks.launcher.stop(handle, reason="too late")
            tasks.launcher.stop(handle, reason="too late, again")
        assert [o.phase for o in tasks.observe(launched)] == [o.phase for o in before]

    def test_it_stops_an_unknown_handle_without_error(self, launcher: Launcher, unknown_handle: str) -> None:
        launcher.stop(unknown_handle, reason="nothing to stop")

    # --- environment ------------------------------------------------------------------

    def test_it_gives_the_task_its_fire_in_the_environment(
        self, tasks: Tasks, environment_probe: EnvironmentProbe | None
    ) -> None:
        if environment_probe is None:
            pytest.skip("no environment_probe: override it to check what the task sees")
        request = tasks.request(environment_probe.params)
        launched = tasks.launch(request)
        seen = eventually(
            lambda: environment_probe.read(launched),
            lambda env: env is not None,
            what="the task's environment",
            deadline=self.deadline,
        )
        assert seen is not None
        expected = request.environment
        assert {name: seen.get(name) for name in expected} == expected
