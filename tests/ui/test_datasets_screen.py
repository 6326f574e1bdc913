"""The datasets screen (`d`): the list, an upload with its answer, what goes wrong said with the typed path
kept, tab completion of paths, and the uploaded dataset ticked in the start dialog."""

from __future__ import annotations

import json

from textual.widgets import DataTable, ProgressBar, SelectionList

from tests.faulty_http import Fault, faulty_http
from tests.scripted_backend import running_backend
from tests.ui.screen import focus, screen_text, shown_in, until
from tests.ui.test_dashboard import SIZE, dashboard, open_start_dialog
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.datasets import DatasetsScreen
from tf_tui.ui.widgets.path_input import PathInput, complete_path


async def open_datasets(app: TfTuiApp, pilot) -> DatasetsScreen:
    await pilot.press("d")
    await until(pilot, lambda: isinstance(app.screen, DatasetsScreen), "the datasets screen")
    screen = app.screen
    table = screen.query_one(DataTable)
    await until(pilot, lambda: table.row_count >= 1, "the list loads")
    await until(pilot, lambda: screen.query_one(PathInput).has_focus, "the path field has the focus")
    return screen


async def upload(pilot, screen: DatasetsScreen, path: str) -> PathInput:
    field = screen.query_one(PathInput)
    field.value = path  # typing a long temporary path key by key adds nothing that the tab test does not cover
    await focus(pilot, field)
    await pilot.press("enter")
    return field


def message(app: TfTuiApp) -> str:
    return shown_in(app, app.screen.query_one("#upload-message"))


async def test_an_upload_is_listed_selected_and_ticked_in_the_start_dialog(start_server, tmp_path):
    data = tmp_path / "echo.jsonl"
    data.write_text("".join(json.dumps({"instruction": "Echo", "output": f"word {n}"}) + "\n" for n in range(200)))
    app = dashboard(start_server().url, tmp_path)  # its own server: only this test's upload is listed
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_datasets(app, pilot)
        shown = screen_text(app)
        assert "builtin-arithmetic" in shown and "Arithmetic (two-digit" in shown
        field = await upload(pilot, screen, str(data))
        await until(pilot, lambda: "Uploaded" in message(app), "the server's answer")
        assert "200 rows, no PII found" in message(app) and field.value == ""
        assert not screen.query_one("#upload-progress").display  # gone once the upload is over
        table = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 4, "the new dataset is listed")
        dataset_id = message(app).split("dataset ")[1].split(",")[0]
        await until(pilot, lambda: table.cursor_row == table.get_row_index(dataset_id), "it is selected")
        assert table.get_row(dataset_id)[1].plain == "echo.jsonl"

        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DatasetsScreen), "the screen closes")
        dialog = await open_start_dialog(app, pilot)
        assert dialog.query_one(SelectionList).selected == [dataset_id]


async def test_what_cannot_be_uploaded_is_said_and_the_typed_path_stays(server, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01\x02\xff")
    cases = {
        "missing.jsonl": "no such file",
        "folder": "is a directory",
        "empty.jsonl": "is empty",
        "weights.bin": "HTTP 422",  # refused by the server: not UTF-8 text
    }
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_datasets(app, pilot)
        for name, words in cases.items():
            field = await upload(pilot, screen, str(tmp_path / name))
            await until(pilot, lambda words=words: words in message(app), f"{name}: {words!r} is said")
            assert field.value == str(tmp_path / name) and not field.disabled
            assert "error" in screen.query_one("#upload-message").classes


async def test_a_server_dying_mid_upload_is_said_once_and_the_path_stays(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("A passage of text to train on.\n\n" * 80_000)  # megabytes: it dies while they are sent
    with faulty_http() as backend:
        backend.fail("/dataset/ingest-single", Fault("die", action="die"))
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_datasets(app, pilot)
            field = await upload(pilot, screen, str(big))
            await until(pilot, lambda: "failed" in message(app), "the failure is said")
            assert "broke before the answer" in message(app) and "not sent again" in message(app)
            assert field.value == str(big) and not screen.query_one("#upload-progress").display
            assert backend.requests.count("POST /dataset/ingest-single") == 1


async def test_tab_completes_directories_then_file_names_then_moves_on(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{}")
    (tmp_path / "data" / ".hidden").write_text("")
    (tmp_path / "dump.txt").write_text("x")
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_datasets(app, pilot)
        field = screen.query_one(PathInput)
        field.value = str(tmp_path) + "/d"  # two names start so: nothing to add for sure, no suggestion
        await pilot.press("a")
        await until(pilot, lambda: field._suggestion == f"{tmp_path}/data/", "the folder is suggested")
        assert f"{tmp_path}/data/" in screen_text(app)  # the rest of it shown after what was typed
        await pilot.press("tab")
        assert field.value == f"{tmp_path}/data/"
        await until(pilot, lambda: field._suggestion == f"{tmp_path}/data/train.jsonl", "the file is suggested")
        await pilot.press("tab")
        assert field.value == f"{tmp_path}/data/train.jsonl" and field.has_focus
        await pilot.press("tab")  # nothing left to complete: the focus moves on
        await until(pilot, lambda: not field.has_focus, "the focus moves")


def test_completion_of_a_path(tmp_path):
    for name in ("alpha.jsonl", "alpine.txt", ".secret"):
        (tmp_path / name).write_text("x")
    (tmp_path / "beta").mkdir()
    assert complete_path(f"{tmp_path}/al") == f"{tmp_path}/alp"  # as far as both names go
    assert complete_path(f"{tmp_path}/alp") == f"{tmp_path}/alpha.jsonl"  # then the first
    assert complete_path(f"{tmp_path}/b") == f"{tmp_path}/beta/"
    assert complete_path(f"{tmp_path}/.s") == f"{tmp_path}/.secret"  # hidden once a dot is typed
    assert complete_path(f"{tmp_path}/s") is None
    assert complete_path(f"{tmp_path}/alpha.jsonl") is None  # nothing to add
    assert complete_path(f"{tmp_path}/nowhere/x") is None
    assert complete_path("") is None


async def test_escape_during_an_upload_asks_then_cancels_it_and_says_so(tmp_path):
    data = tmp_path / "notes.txt"
    data.write_text("A passage.\n\n" * 5000)
    with faulty_http() as backend:
        backend.fail("/dataset/ingest-single", Fault("hang", action="hang"))  # the answer never comes
        app = dashboard(backend.url, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_datasets(app, pilot)
            field = await upload(pilot, screen, str(data))
            # All of it sent, the answer awaited: the bar says how much, in per cent and in bytes.
            sent = screen.query_one("#upload-sent")
            await until(pilot, lambda: shown_in(app, sent) == "100% 60 kB of 60 kB", "the percentage and bytes")
            assert screen.query_one(ProgressBar).percentage == 1

            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "it asks first")
            assert "Cancel the upload of notes.txt?" in screen_text(app)
            await pilot.press("n")  # no: the upload goes on
            await until(pilot, lambda: app.screen is screen, "back to the upload")
            assert field.disabled and "Uploading" in message(app)

            await pilot.press("escape", "y")
            await until(pilot, lambda: "Cancelled the upload" in message(app), "it says it cancelled the upload")
            assert f"Cancelled the upload of {data} once it was all sent" in message(app)
            assert app.screen is screen and not field.disabled and field.value == str(data)
            assert not screen.query_one("#upload-progress").display
            await pilot.press("escape")  # nothing on its way now: escape closes
            await until(pilot, lambda: not isinstance(app.screen, DatasetsScreen), "the screen closes")
            await pilot.press("d")  # and opens again, ready for another
            await until(pilot, lambda: isinstance(app.screen, DatasetsScreen), "the datasets screen again")
            assert not app.screen.query_one(PathInput).disabled
            assert backend.requests.count("POST /dataset/ingest-single") == 1


async def test_a_file_over_the_servers_limit_is_refused_with_both_sizes(server, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as sparse:  # 200 MB on the file system's word, none of it written
        sparse.truncate(200_000_000)
    app = dashboard(server.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_datasets(app, pilot)
        field = await upload(pilot, screen, str(big))
        await until(pilot, lambda: "Not uploaded" in message(app), "the refusal")
        assert "Not uploaded: big.csv is 200 MB; this server takes at most 10.5 MB" in message(app)
        assert field.value == str(big) and not field.disabled


async def test_a_long_name_takes_the_room_beside_it_and_is_cut_only_where_there_is_none(tmp_path):
    long_name = "Customer support replies, cleaned, second pass (v2)"  # 51 characters
    async with running_backend() as backend:
        backend.datasets = [{"id": "6b0d2f9e41c84a7f9d3e5a1b2c3d4e5f", "name": long_name, "rows": 1250}]
        wide = dashboard(backend.url, tmp_path)
        async with wide.run_test(size=(160, 32)) as pilot:
            await open_datasets(wide, pilot)
            assert long_name in screen_text(wide)
        narrow = dashboard(backend.url, tmp_path)
        async with narrow.run_test(size=(80, 24)) as pilot:
            await open_datasets(narrow, pilot)
            row = next(line for line in screen_text(narrow).splitlines() if "6b0d2f9e" in line)
            assert long_name[:24] in row and long_name not in row  # cut, to no fewer than 24 characters
