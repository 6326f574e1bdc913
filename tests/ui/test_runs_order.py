"""The runs list's order and grouping: `>` and `<` cycle the order and the column names say it, `g` groups
with a count per group, the selected run stays selected, and the choices are kept per backend."""

from __future__ import annotations

from tests.ui.screen import screen_text, shown_in, until, until_shown
from tf_tui.core.fleet import Fleet
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_app, demo_session
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (100, 24)
# The demo's runs, newest first: training (small), queued (small), completed (base), failed (tiny).
TRAINING = "3f2a9c1e"
QUEUED = "51d0c6f4"
COMPLETED = "8c41d2aa"
FAILED = "b7e90f13"


def column_names(app: TfTuiApp) -> str:
    runs = app.query_one(RunsList)
    return screen_text(app).splitlines()[runs.region.y]


def runs_in_order(app: TfTuiApp) -> list[str]:
    """The runs' short ids and the group headings, top to bottom, as the list shows them."""
    runs = app.query_one(RunsList)
    lines = screen_text(app).splitlines()[runs.region.y + 1 : runs.region.bottom]
    return [line.split()[1] if line.startswith("─") else line.split()[0] for line in lines if line.strip()]


async def test_sort_cycles_the_order_and_the_column_names_say_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: column_names(app).startswith("↓newest"), "the newest first")
        assert runs_in_order(app) == [TRAINING, QUEUED, COMPLETED, FAILED]
        expected = {
            "status": [TRAINING, QUEUED, COMPLETED, FAILED],  # at work, waiting, ended well, failed
            "progress": [COMPLETED, TRAINING, QUEUED, FAILED],  # 100 %, 35 %, then 0 % newest first
            "loss": [COMPLETED, TRAINING, QUEUED, FAILED],  # 0.2412, 0.2607, then no loss newest first
            "model": [COMPLETED, TRAINING, QUEUED, FAILED],  # base, small, small, tiny
            "newest": [TRAINING, QUEUED, COMPLETED, FAILED],  # round again: one backend, no backend order
        }
        for order, runs in expected.items():
            await pilot.press("greater_than_sign")
            await until(pilot, lambda order=order: column_names(app).startswith(f"↓{order}"), f"sorted by {order}")
            await until(pilot, lambda runs=runs: runs_in_order(app) == runs, f"the runs by {order}")
        await pilot.press("less_than_sign")
        await until(pilot, lambda: column_names(app).startswith("↓model"), "back to the order before")


async def test_the_selected_run_stays_selected_when_the_order_changes(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = app.query_one(RunsList)
        await until(pilot, lambda: runs.selected_id is not None and runs.selected_id.startswith(TRAINING), "selected")
        await pilot.press("j", "j")  # the completed run, third in the newest order
        await until(pilot, lambda: (runs.selected_id or "").startswith(COMPLETED), "the completed run selected")
        await pilot.press("greater_than_sign", "greater_than_sign")  # by progress: it comes first
        await until(pilot, lambda: runs_in_order(app)[0] == COMPLETED, "sorted by progress")
        assert (runs.selected_id or "").startswith(COMPLETED)
        assert COMPLETED in shown_in(app, app.query_one(DetailPane))
        await pilot.press("j")  # the cursor goes on from the run's new place
        await until(pilot, lambda: (runs.selected_id or "").startswith(TRAINING), "the run after it")


async def test_g_groups_by_status_then_model_with_a_count_per_group(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(pilot, "↓newest")
        await pilot.press("g")
        text = await until_shown(pilot, "─ training (1)")
        assert "─ queued (1)" in text and "─ completed (1)" in text and "─ failed (1)" in text
        await pilot.press("g")
        by_model = ["base", COMPLETED, "small", TRAINING, QUEUED, "tiny", FAILED]
        await until(pilot, lambda: runs_in_order(app) == by_model, "grouped by model")
        assert "─ small (2)" in screen_text(app)
        await pilot.press("slash", *"queued", "enter")  # a group's count is of the runs shown
        await until(pilot, lambda: runs_in_order(app) == ["small", QUEUED], "the filtered groups")
        assert "─ small (1)" in screen_text(app)
        await pilot.press("g")
        await until(pilot, lambda: runs_in_order(app) == [QUEUED], "no groups")


async def test_the_order_and_grouping_survive_a_relaunch(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(pilot, "↓newest")
        await pilot.press("greater_than_sign", "greater_than_sign", "g", "g")
        await until(pilot, lambda: column_names(app).startswith("↓progress"), "sorted by progress")
        await until_shown(pilot, "─ small (2)")

    relaunched = demo_app(tmp_path)
    async with relaunched.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: column_names(relaunched).startswith("↓progress"), "still by progress")
        await until_shown(pilot, "─ small (2)")


async def test_every_backend_shown_and_each_one_keep_their_own_choices(tmp_path):
    def fleet_app() -> TfTuiApp:
        fleet = Fleet({"gpu1": demo_session(tmp_path), "gpu2": demo_session(tmp_path, id_prefix="e")})
        return TfTuiApp(fleet, connect=False, clock=lambda: NOW)

    app = fleet_app()
    async with app.run_test(size=(130, 30)) as pilot:
        await until_shown(pilot, "↓newest")
        await pilot.press(*["greater_than_sign"] * 5)  # with several backends the orders go on to the backend's
        await until(pilot, lambda: column_names(app).startswith("↓backend"), "by backend")
        await pilot.press("b")  # gpu1's runs alone: its own choices, none kept yet
        await until(pilot, lambda: column_names(app).startswith("↓newest"), "gpu1's order")
        await pilot.press("g")
        await until_shown(pilot, "─ training (1)")

    relaunched = fleet_app()
    async with relaunched.run_test(size=(130, 30)) as pilot:
        await until(pilot, lambda: column_names(relaunched).startswith("↓backend"), "every backend's order")
        assert "─ training" not in screen_text(relaunched)
        await pilot.press("b")
        await until_shown(pilot, "─ training (1)")
