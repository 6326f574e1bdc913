"""The user's keys: the config file's [keys] checked against every binding, then the dashboard, its help,
its footer, its palette and `tf-tui keys` following them."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from textual.binding import Binding

from tests.ui.screen import footer_key, screen_text, until, until_shown
from tests.ui.test_dashboard import SIZE
from tf_tui.cli import main
from tf_tui.core.config import ConfigError
from tf_tui.core.key_choices import KeyChoice
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_session
from tf_tui.ui.keymap import actions, checked_keymap, keyed_classes
from tf_tui.ui.screens.compare import CompareScreen
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.help import HelpScreen

WHERE = "config.toml, line 7"


def choices(**keys: str) -> list[KeyChoice]:
    return [KeyChoice(action, tuple(value.split(",")), WHERE) for action, value in keys.items()]


def test_every_binding_of_the_dashboard_and_its_screens_has_an_id_the_config_file_can_name():
    for cls in keyed_classes(TfTuiApp):
        for binding in cls.__dict__["BINDINGS"]:
            assert isinstance(binding, Binding) and binding.id, f"{cls.__name__}: {binding} has no id"
    assert CompareScreen in keyed_classes(TfTuiApp) and EventLogScreen in keyed_classes(TfTuiApp)


def test_keys_are_read_as_textual_names_them():
    keymap = checked_keymap(choices(stop="X,ctrl+x,f5", filter="?", quit="*", help="h,f1"), TfTuiApp)
    assert keymap["stop"] == "X,ctrl+x,f5"
    assert keymap["filter"] == "question_mark" and keymap["quit"] == "asterisk" and keymap["help"] == "h,f1"


def test_an_unknown_action_is_an_error_naming_the_line_and_the_actions():
    with pytest.raises(ConfigError) as refused:
        checked_keymap(choices(filtr="f"), TfTuiApp)
    message = str(refused.value)
    assert message.startswith(f"{WHERE}: unknown action 'filtr' (did you mean 'filter'?); the actions are ")
    assert "stop" in message and "x_axis" in message  # the screens' actions too


@pytest.mark.parametrize("key", ["foo", "ctrl+", "hyperspace+x", "ctrl+f99x"])
def test_an_unknown_key_name_is_an_error_naming_the_line(key):
    with pytest.raises(ConfigError, match=rf"^{WHERE}: {re.escape(repr(key))} for stop is not a key name; a key is "):
        checked_keymap(choices(stop=key), TfTuiApp)


def test_two_actions_on_one_key_of_one_screen_is_an_error_naming_the_line():
    with pytest.raises(ConfigError, match=rf"^{WHERE}: s for stop is also the key of start on the dashboard"):
        checked_keymap(choices(stop="s"), TfTuiApp)
    with pytest.raises(ConfigError, match=r"y for (stop|start) is also the key of (start|stop) on the dashboard"):
        checked_keymap(choices(stop="y", start="y"), TfTuiApp)
    with pytest.raises(ConfigError, match=r"u for close is also the key of updates on the event log screen"):
        checked_keymap(choices(close="u"), TfTuiApp)
    with pytest.raises(ConfigError, match=r"tab for filter is also the key of focus next on the dashboard"):
        checked_keymap(choices(filter="tab"), TfTuiApp)


def test_a_key_may_do_one_thing_on_the_dashboard_and_another_on_a_screen():
    # x stops a run on the dashboard; on the compare screen it may go back.
    assert checked_keymap(choices(close="x"), TfTuiApp) == {"close": "x"}
    # Two keys swapped at once are no clash.
    assert checked_keymap(choices(stop="s", start="x"), TfTuiApp) == {"stop": "s", "start": "x"}


def test_the_key_list_follows_the_remapping():
    listed = {(action.where, action.name): action for action in actions(TfTuiApp, {"stop": "X", "close": "ctrl+w"})}
    assert listed["dashboard", "stop"].keys == ["X"]
    assert listed["dashboard", "stop"].description.startswith("stop the selected run")
    assert listed["compare screen", "close"].keys == ["ctrl+w"]
    assert listed["dashboard", "filter"].keys == ["/"]


def remapped_app(tmp_path, **keys: str) -> TfTuiApp:
    session = demo_session(tmp_path)
    session.settings = replace(session.settings, keys=tuple(choices(**keys)))
    return TfTuiApp(session, connect=False, clock=lambda: NOW)


async def test_a_remapped_key_acts_the_old_one_no_longer_does_and_the_help_and_footer_show_it(tmp_path):
    app = remapped_app(tmp_path, filter="f", event_log="L")
    async with app.run_test(size=SIZE) as pilot:
        filter_input = app.query_one("#filter")
        await until(pilot, lambda: footer_key(app, "filter") is not None, "the footer's keys")
        await pilot.press("slash")
        await pilot.press("l")  # neither opens anything now: the next key is still the dashboard's
        await pilot.press("f")
        await until(pilot, lambda: filter_input.display and filter_input.has_focus, "f opens the filter")
        assert not isinstance(app.screen, EventLogScreen)
        assert app.query_one("#filter").value == ""  # neither / nor l was typed into it
        await pilot.press("escape", "L")
        await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "L opens the event log")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, EventLogScreen), "the event log closes")
        assert " f Filter " in screen_text(app)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        shown = await until_shown(pilot, "filter the runs by id")
        assert re.search(r"\sf\s{2,}filter the runs", shown) and re.search(r"\sL\s{2,}the event log", shown), shown
        assert not re.search(r"\s/\s{2,}filter the runs", shown)
        palette = {command.title: command.help for command in app.get_system_commands(app.screen)}
        assert palette["Filter"].endswith("(f)") and palette["Log"].endswith("(L)"), palette


def test_tf_tui_keys_lists_every_action_with_its_keys(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[keys]\nstop = "X"\nclose = ["ctrl+w", "escape"]\n')
    monkeypatch.setenv("TF_TUI_CONFIG", str(config))
    monkeypatch.setenv("TF_TUI_STATE_FILE", str(tmp_path / "state.json"))
    monkeypatch.setenv("TF_TUI_LOG_FILE", str(tmp_path / "tf-tui.log"))
    assert main(["keys"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    dashboard, compare = lines.index(["dashboard"]), lines.index(["compare", "screen"])
    assert ["stop", "X", "stop", "the", "selected", "run,"] in [line[:6] for line in lines[dashboard:compare]]
    assert ["close", "ctrl+w", "esc", "Back"] in lines[compare:]
    config.write_text('url = "http://box:8084"\n[keys]\nstop = "s"\n')
    assert main(["keys"]) == 2
    assert f"{config}, line 3: s for stop is also the key of start" in capsys.readouterr().err
