"""The start dialog: enter starts from every field (a closed list it opens), it remembers its last choices
per backend, it fits 60x20, and ticked datasets read differently from unticked ones without colour."""

from __future__ import annotations

import re

from fastapi.responses import PlainTextResponse
from textual.widgets import Input, Select, SelectionList

from tests.scripted_backend import running_backend
from tests.ui.screen import focus, screen_text, until, until_shown
from tests.ui.test_dashboard import SIZE, dashboard, open_start_dialog
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.start import StartScreen


async def tick_units(pilot, dialog: StartScreen) -> None:
    """Move to builtin-units and tick it: on the shared server, uploaded datasets may be listed too."""
    datasets = dialog.query_one(SelectionList)
    values = [datasets.get_option_at_index(index).value for index in range(datasets.option_count)]
    await pilot.press("home", *["down"] * values.index("builtin-units"), "space")


def first_ticked(app: TfTuiApp) -> str:
    """The line of the first ticked dataset on the screen (an unticked box shows no X); empty while none is."""
    _, tick, after = screen_text(app).partition("X")
    return after.partition("\n")[0] if tick else ""


def started(app: TfTuiApp) -> list[str]:
    return [entry.text for entry in app.session.events.entries if entry.text.startswith("started ")]


async def test_enter_on_the_dataset_list_starts_and_space_ticks(start_server, tmp_path):
    # A server of its own: on the shared one, datasets other tests uploaded come after the built-in ones.
    app = dashboard(start_server().url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_start_dialog(app, pilot)
        first = dialog.query_one(SelectionList).selected  # ticked when the dialog opens
        await tick_units(pilot, dialog)
        await pilot.click("#steps")
        await pilot.press(*"1500")
        await focus(pilot, dialog.query_one(SelectionList))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, StartScreen), "the dialog closes")
        (line,) = started(app)
        assert line.endswith(f"(tiny on {', '.join([*first, 'builtin-units'])})")
        await app.session.stop(line.split()[1])


async def test_the_dialog_starts_from_the_last_choices_for_that_backend(server, tmp_path):
    first = dashboard(server.url, tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        dialog = await open_start_dialog(first, pilot)
        dialog.query_one("#model", Select).value = "small"
        dialog.query_one("#outcome", Select).value = "speed"
        await pilot.press("home", "space")  # untick the first (the one ticked when it opens)
        await tick_units(pilot, dialog)
        await focus(pilot, dialog.query_one("#steps", Input))
        await pilot.press(*"1500", "enter")
        await until(pilot, lambda: not isinstance(first.screen, StartScreen), "the dialog closes")
        train_id = started(first)[0].split()[1]
        await first.session.stop(train_id)

    relaunched = dashboard(server.url, tmp_path)
    async with relaunched.run_test(size=SIZE) as pilot:
        await open_start_dialog(relaunched, pilot)
        # The list's rows may be painted a frame after the fields: wait for all of them.
        await until(
            pilot,
            lambda: (
                all(text in screen_text(relaunched) for text in ("small  (", "speed", "1500"))
                and " Unit conversions" in first_ticked(relaunched)
            ),
            "the last choices, builtin-units (Unit conversions) ticked",
        )

    elsewhere = dashboard(server.url + "/", tmp_path)  # the same backend, written another way
    async with elsewhere.run_test(size=SIZE) as pilot:
        await open_start_dialog(elsewhere, pilot)
        await until_shown(pilot, "small  (")

    other_backend = demo_app(tmp_path)  # another URL, the same state directory: its own defaults
    async with other_backend.run_test(size=SIZE) as pilot:
        await open_start_dialog(other_backend, pilot)
        shown = await until_shown(pilot, "tiny  (")
        assert "1500" not in shown


async def test_at_60x20_the_whole_dialog_shows_and_scrolls(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        dialog = await open_start_dialog(app, pilot)
        shown = screen_text(app)
        assert "Start a training run" in shown and "Seed" in shown and "Start" in shown
        lines = shown.splitlines()
        top = next(index for index, line in enumerate(lines) if "Start a training run" in line)
        assert lines[top - 1].strip()  # the top border is there
        assert all(line.rstrip()[-1] in "▌▐█▊▋▍▎▏│┃" for line in lines[top:-2] if line.strip())  # right border
        assert dialog.query_one("VerticalScroll").max_scroll_y >= 0


async def test_without_colour_ticked_and_unticked_datasets_differ(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_start_dialog(app, pilot)
        shown = screen_text(app).splitlines()
        lines = {name: line for line in shown for name in ("Arithmetic", "Unit conversions") if name in line}
        ticked, unticked = (lines[name].split(name)[0] for name in ("Arithmetic", "Unit conversions"))
        assert "X" in ticked and "X" not in unticked


async def test_models_too_big_for_the_machine_are_marked_not_hidden(tmp_path):
    # The deployed backend's models have real sizes and minimums; the reference server's all fit.
    async with running_backend() as backend:
        backend.models = [
            {"id": "phi-2", "size_gb": 5.4, "min_vram_gb": 6},
            {"id": "llama-2-70b", "size_gb": 138, "min_vram_gb": 160},
        ]
        backend.environment = {"gpu_name": "NVIDIA T4", "vram_gb": 16, "cpu_cores": 8, "ram_gb": 251, "ready": True}
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            dialog = await open_start_dialog(app, pilot, datasets=1)
            shown = await until_shown(pilot, "fits: needs 6 GB, the GPU has 16 GB of VRAM")
            assert re.search(r"Model +phi-2  \(5\.4 GB\) +▼", shown), shown  # no mark
            model = dialog.query_one("#model", Select)
            model.expanded = True  # the list shows every model, the one too big marked
            shown = await until_shown(pilot, "llama-2-70b  (138 GB)  ✕ too big")
            assert "phi-2  (5.4 GB)" in shown
            model.expanded = False
            model.value = "llama-2-70b"
            shown = await until_shown(pilot, "too big: needs 160 GB, the GPU has 16 GB of VRAM")
            assert re.search(r"Model +llama-2-70b  \(138 GB\)  ✕ too big +▼", shown), shown


async def test_an_unreadable_machine_leaves_the_fit_unknown_and_says_why(tmp_path):
    async with running_backend() as backend:
        backend.models = [{"id": "phi-2", "size_gb": 5.4, "min_vram_gb": 6}]
        backend.environment = PlainTextResponse("Internal Server Error", status_code=500)
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_start_dialog(app, pilot, datasets=1)
            shown = await until_shown(pilot, "fit unknown: needs 6 GB, the box's memory is unknown (GET")
            assert "/env/check: HTTP 500, Internal Server Error)" in shown


async def test_enter_on_a_closed_list_opens_it_and_starts_nothing(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_start_dialog(app, pilot)
        for list_id in ("#model", "#outcome"):
            choice = dialog.query_one(list_id, Select)
            await focus(pilot, choice)
            await pilot.press("enter")
            await until(pilot, lambda choice=choice: choice.expanded, f"enter opens {list_id}")
            assert app.screen is dialog and not started(app)
            await pilot.press("escape")
            await until(pilot, lambda choice=choice: not choice.expanded, f"escape closes {list_id}")
        assert app.screen is dialog and not started(app)


async def test_datasets_are_listed_by_name_and_told_apart_by_id_when_names_repeat(tmp_path):
    async with running_backend() as backend:
        backend.datasets = [
            {"id": "6b0d2f9e41c84a7f9d3e5a1b2c3d4e5f", "name": "echo.jsonl", "rows": 200},
            {"id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "name": "notes.txt", "rows": 12},
            {"id": "f9e8d7c6b5a4938271605f4e3d2c1b0a", "name": "notes.txt", "rows": 30},
            {"id": "builtin-units"},  # no name: its id stands for it
        ]
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_start_dialog(app, pilot, datasets=4)
            shown = await until_shown(pilot, "echo.jsonl  (200 rows)")
            assert "6b0d2f9e41c84a7f9d3e5a1b2c3d4e5f" not in shown
            assert "notes.txt  (12 rows, 0a1b2c3d)" in shown and "notes.txt  (30 rows, f9e8d7c6)" in shown
            assert "builtin-units" in shown


def placeholders(dialog: StartScreen) -> list[str]:
    return [
        str(dialog.query_one(f"#{field}", Input).placeholder)
        for field in ("steps", "learning-rate", "batch-size", "seed")
    ]


async def test_default_shows_the_value_each_model_and_outcome_will_use(server, tmp_path):
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_start_dialog(app, pilot)
        dialog.query_one("#model", Select).value = "tiny"
        dialog.query_one("#outcome", Select).value = "balanced"
        await until(pilot, lambda: "15,000 (default)" in screen_text(app), "tiny's steps for a balanced run")
        assert placeholders(dialog) == ["15,000 (default)", "0.003 (default)", "64 (default)", "0 (default)"]
        dialog.query_one("#outcome", Select).value = "speed"
        await until(pilot, lambda: placeholders(dialog)[0] == "6,000 (default)", "fewer steps for speed")
        dialog.query_one("#model", Select).value = "small"
        await until(pilot, lambda: placeholders(dialog)[0] == "4,800 (default)", "small's steps for speed")
        assert placeholders(dialog)[2] == "128 (default)"


async def test_default_says_no_value_the_backend_does_not_give(tmp_path):
    async with running_backend() as backend:  # as the deployed backend lists models: no defaults
        backend.models = [{"id": "phi-2", "size_gb": 5.4, "min_vram_gb": 6}]
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            dialog = await open_start_dialog(app, pilot, datasets=1)
            await until(pilot, lambda: dialog.query_one("#model", Select).value == "phi-2", "its model chosen")
            assert placeholders(dialog) == ["default"] * 4
