"""Configuration precedence: explicit flag > CLOCKWORK_* variable > default; errors name both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clockwork_worker import config
from clockwork_worker.cli import GLOBAL, main
from clockwork_worker.commands.run import SETTINGS as RUN_SETTINGS
from clockwork_worker.config import ConfigError, Setting, resolve

POLL = Setting(
    "--poll-interval", config.seconds(high=60), "seconds between polls", default=timedelta(seconds=1)
)


class TestPrecedence:
    def test_the_flag_beats_the_variable(self) -> None:
        assert resolve(POLL, "0.5", {"CLOCKWORK_POLL_INTERVAL": "3"}) == timedelta(seconds=0.5)

    def test_the_variable_beats_the_default(self) -> None:
        assert resolve(POLL, None, {"CLOCKWORK_POLL_INTERVAL": "3"}) == timedelta(seconds=3)

    def test_the_default_comes_last(self) -> None:
        assert resolve(POLL, None, {}) == timedelta(seconds=1)

    def test_an_empty_variable_counts_as_unset(self) -> None:
        assert resolve(POLL, None, {"CLOCKWORK_POLL_INTERVAL": "  "}) == timedelta(seconds=1)

    def test_a_setting_without_a_default_resolves_to_none(self) -> None:
        setting = Setting("--crontab", config.text, "a file")
        assert resolve(setting, None, {}) is None

    def test_the_variable_is_named_after_the_flag(self) -> None:
        assert POLL.env == "CLOCKWORK_POLL_INTERVAL"
        assert POLL.dest == "poll_interval"


class TestErrors:
    def test_a_bad_flag_names_the_flag_and_the_variable(self) -> None:
        with pytest.raises(ConfigError) as caught:
            resolve(POLL, "soon", {})
        assert str(caught.value) == (
            "--poll-interval: 'soon' is not a number of seconds (also settable as CLOCKWORK_POLL_INTERVAL)"
        )

    def test_a_bad_variable_names_the_variable_its_value_and_the_flag(self) -> None:
        with pytest.raises(ConfigError) as caught:
            resolve(POLL, None, {"CLOCKWORK_POLL_INTERVAL": "soon"})
        assert str(caught.value) == (
            "CLOCKWORK_POLL_INTERVAL='soon' (for --poll-interval): 'soon' is not a number of seconds"
        )

    def test_a_bad_variable_does_not_matter_when_the_flag_is_given(self) -> None:
        assert resolve(POLL, "2", {"CLOCKWORK_POLL_INTERVAL": "soon"}) == timedelta(seconds=2)


class TestParsers:
    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("0", "0 s must be more than 0"),
            ("-1", "-1 s must be more than 0"),
            ("nan", "nan s must be more than 0"),
            ("61", "61 s is more than the maximum of 60 s"),
        ],
    )
    def test_seconds_are_bounded(self, text: str, reason: str) -> None:
        with pytest.raises(ValueError, match=reason):
            config.seconds(high=60)(text)

    def test_seconds_may_allow_zero(self) -> None:
        assert config.seconds(allow_zero=True)("0") == timedelta(0)

    @pytest.mark.parametrize(
        ("text", "value"), [("1", True), ("YES", True), ("off", False), ("false", False)]
    )
    def test_booleans(self, text: str, value: bool) -> None:
        assert config.boolean(text) is value

    def test_a_boolean_rejects_other_words(self) -> None:
        with pytest.raises(ValueError, match="'maybe' is not one of"):
            config.boolean("maybe")

    def test_choices_ignore_case(self) -> None:
        assert config.choice(("json", "text"))("JSON") == "json"
        with pytest.raises(ValueError, match="'xml' is not one of json, text"):
            config.choice(("json", "text"))("xml")

    def test_integers_are_bounded(self) -> None:
        assert config.integer(low=1, high=5)("3") == 3
        with pytest.raises(ValueError, match="9 is out of range 1-5"):
            config.integer(low=1, high=5)("9")
        with pytest.raises(ValueError, match="'x' is not a whole number"):
            config.integer(low=1, high=5)("x")

    def test_an_address_is_host_and_port(self) -> None:
        assert config.address(":8080") == ("127.0.0.1", 8080)
        assert config.address("0.0.0.0:8080") == ("0.0.0.0", 8080)
        for wrong in ("localhost", ":99999", ":\u00b9", ":\uff18\uff10"):  # superscript 1, fullwidth 80
            with pytest.raises(ValueError, match="is not HOST:PORT"):
                config.address(wrong)


@pytest.fixture
def run_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """``clockwork run --help``, without any installed plugin."""
    import clockwork_core.plugins

    manager = clockwork_core.plugins.new_plugin_manager(load_entry_points=False)
    monkeypatch.setattr(clockwork_core.plugins, "plugin_manager", lambda: manager)
    assert main(["run", "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


class TestHelp:
    def test_the_help_of_each_setting_names_its_variable_and_default(self) -> None:
        assert POLL.help_text() == "seconds between polls [env CLOCKWORK_POLL_INTERVAL; default 1]"

    @pytest.mark.parametrize("setting", [*GLOBAL, *RUN_SETTINGS], ids=lambda s: s.flag)
    def test_every_setting_s_variable_is_in_the_command_s_help(
        self, setting: Setting[object], run_help: str
    ) -> None:
        assert f"{setting.flag} " in run_help
        assert f"[env {setting.env}" in run_help
