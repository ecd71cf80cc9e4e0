"""The recording launcher: the launcher kit, and its scripts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from clockwork_core.errors import PermanentLaunchError, TransientLaunchError, UnknownPlugin
from clockwork_core.launcher import Launched, Launcher, LaunchRequest, Phase
from clockwork_core.model import fire_key, run_id_for
from clockwork_core.plugins import new_plugin_manager, open_launcher
from clockwork_core.testing import (
    EnvironmentProbe,
    LauncherConformance,
    RecordingLauncher,
    register_recording_launcher,
    unregister_recording_launcher,
)
from clockwork_core.testing.support import T0


class TestRecordingLauncher(LauncherConformance):
    deadline = 5.0

    @pytest.fixture
    def launcher(self) -> Iterator[Launcher]:
        launcher = RecordingLauncher()
        yield launcher
        launcher.close()

    @pytest.fixture
    def succeeding_params(self) -> Mapping[str, Any]:
        return {"running_polls": 2}

    @pytest.fixture
    def failing_params(self) -> Mapping[str, Any]:
        return {"exit_code": self.failing_exit_code, "count": 2}

    @pytest.fixture
    def long_running_params(self) -> Mapping[str, Any]:
        return {"runs_until_stopped": True}

    @pytest.fixture
    def invalid_params(self) -> Sequence[Mapping[str, Any]]:
        return [
            {"exit_code": "zero"},
            {"exit_code": 256},
            {"exit_code": True},
            {"fail_first": -1},
            {"failure": "sometimes"},
            {"runs_until_stopped": "yes"},
            {"count": 0},
        ]

    @pytest.fixture
    def environment_probe(self, launcher: Launcher) -> EnvironmentProbe:
        assert isinstance(launcher, RecordingLauncher)
        return EnvironmentProbe(params={}, read=lambda launched: launcher.environment_of(launched.handles[0]))


def _request(params: Mapping[str, Any], schedule_id: str = "nightly", attempt: int = 1) -> LaunchRequest:
    return LaunchRequest(
        schedule_id=schedule_id,
        instant=T0,
        run_id=run_id_for(T0),
        key=fire_key(schedule_id, T0),
        attempt=attempt,
        params=params,
    )


class TestRecordingScripts:
    def test_it_derives_handles_from_the_key(self) -> None:
        request = _request({"count": 2})
        assert RecordingLauncher().launch(request) == Launched(
            (f"recording:{request.key}/0", f"recording:{request.key}/1")
        )

    def test_it_records_every_request_and_starts_each_key_once(self) -> None:
        launcher = RecordingLauncher()
        first, again, other = _request({}), _request({}, attempt=2), _request({}, "hourly")
        for request in (first, again, other):
            launcher.launch(request)
        assert launcher.requests == [first, again, other]
        assert launcher.started() == [first, other]
        assert launcher.launched(first.key) == launcher.launch(first)
        assert launcher.launched(fire_key("never", T0)) is None

    def test_it_raises_a_transient_error_for_the_first_launches_it_is_told_to(self) -> None:
        launcher = RecordingLauncher()
        request = _request({"fail_first": 2})
        for _attempt in range(2):
            with pytest.raises(TransientLaunchError, match="scripted transient failure"):
                launcher.launch(request)
        assert launcher.started() == []
        assert launcher.launch(request).handles == (f"recording:{request.key}/0",)

    def test_it_raises_a_permanent_error_when_told_to(self) -> None:
        launcher = RecordingLauncher()
        with pytest.raises(PermanentLaunchError) as caught:
            launcher.launch(_request({"fail_first": 1, "failure": "permanent"}))
        assert caught.value.code == "scripted"

    def test_it_refuses_to_launch_invalid_params_permanently(self) -> None:
        with pytest.raises(PermanentLaunchError, match=r"target\.params\.exit_code"):
            RecordingLauncher().launch(_request({"exit_code": -1}))

    def test_it_reports_running_for_the_polls_it_is_told_to_then_the_exit_code(self) -> None:
        launcher = RecordingLauncher()
        [handle] = launcher.launch(_request({"running_polls": 2, "exit_code": 7})).handles
        phases = [launcher.describe([handle])[0].phase for _poll in range(4)]
        assert phases == [Phase.RUNNING, Phase.RUNNING, Phase.FAILED, Phase.FAILED]
        assert launcher.describe([handle])[0].exit_codes == {"main": 7}

    def test_it_ends_a_running_task_when_told_to_finish(self) -> None:
        launcher = RecordingLauncher()
        [handle] = launcher.launch(_request({"runs_until_stopped": True})).handles
        assert launcher.describe([handle])[0].phase is Phase.RUNNING
        launcher.finish(handle, exit_code=0)
        observation = launcher.describe([handle])[0]
        assert (observation.phase, observation.exit_codes) == (Phase.SUCCEEDED, {"main": 0})

    def test_it_records_stops_with_their_reasons(self) -> None:
        launcher = RecordingLauncher()
        [handle] = launcher.launch(_request({"runs_until_stopped": True})).handles
        launcher.stop(handle, reason="replaced")
        observation = launcher.describe([handle])[0]
        assert (observation.phase, observation.stop_reason) == (Phase.FAILED, "replaced")
        assert launcher.stops == [(handle, "replaced")]

    def test_it_gives_each_task_the_fire_environment(self) -> None:
        launcher = RecordingLauncher()
        [handle] = launcher.launch(_request({})).handles
        assert launcher.environment_of(handle) == {
            "CLOCKWORK_SCHEDULE_ID": "nightly",
            "CLOCKWORK_FIRE_TIME": "2026-03-08T07:00:00Z",
            "CLOCKWORK_RUN_ID": "20260308T070000.000Z",
        }
        assert launcher.environment_of("recording:unknown/0") is None


class TestRecordingRegistration:
    def test_it_is_not_installed_by_entry_point(self) -> None:
        manager = new_plugin_manager()
        with pytest.raises(UnknownPlugin, match="no launcher named 'recording'"):
            open_launcher("recording", manager=manager)

    def test_it_is_opened_by_name_once_registered(self) -> None:
        manager = new_plugin_manager()
        launcher = register_recording_launcher(manager)
        assert open_launcher("recording", manager=manager) is launcher

    def test_it_replaces_an_earlier_registration(self) -> None:
        manager = new_plugin_manager()
        register_recording_launcher(manager)
        second = register_recording_launcher(manager, RecordingLauncher())
        assert open_launcher("recording", manager=manager) is second

    def test_it_can_be_unregistered(self) -> None:
        manager = new_plugin_manager()
        register_recording_launcher(manager)
        unregister_recording_launcher(manager)
        unregister_recording_launcher(manager)
        with pytest.raises(UnknownPlugin):
            open_launcher("recording", manager=manager)
