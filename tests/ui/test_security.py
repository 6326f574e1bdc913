"""What the dashboard shows of its security: never the token, and always a warning when TLS is not verified."""

from __future__ import annotations

import secrets

from tests.conftest import ENDLESS_PARAMS, FAST_BACKOFF, api_client, client_settings, start_run
from tests.tls import https_url, make_certificates, tls_server
from tests.ui.screen import row_on_screen, screen_text, shown_in, until
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.screens.help import HelpScreen
from tf_tui.ui.widgets.header import INSECURE_BADGE, StatusHeader

SIZE = (120, 36)
TOKEN = f"tok-{secrets.token_hex(12)}"


def header(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one(StatusHeader))


def dashboard(url: str, directory, token: str | None = None, **options) -> TfTuiApp:
    return TfTuiApp(Session(client_settings(url, directory, token, **options), backoff=FAST_BACKOFF))


async def test_the_token_is_never_on_screen(start_server, tmp_path):
    server = start_server(token=TOKEN)
    async with api_client(server.url, token=TOKEN) as client:
        train_id = await start_run(client, **ENDLESS_PARAMS)
        try:
            app = dashboard(server.url, tmp_path / "right", TOKEN)
            async with app.run_test(size=SIZE) as pilot:
                await app.session.watch([train_id])
                await until(pilot, lambda: "training" in row_on_screen(app, train_id), "rows")
                seen = [screen_text(app)]
                for key, screen in (("l", EventLogScreen), ("question_mark", HelpScreen)):
                    await pilot.press(key)
                    await until(pilot, lambda screen=screen: isinstance(app.screen, screen), screen.__name__)
                    seen.append(screen_text(app))
                    await pilot.press("escape")
                    await until(pilot, lambda screen=screen: not isinstance(app.screen, screen), "it closes")
        finally:
            await client.post(f"/train/stop/{train_id}")
    assert "live" in seen[0] and train_id[:8] in seen[0]
    assert all(TOKEN not in text for text in seen)

    # A refused token: the words say so, and do not repeat the token tried.
    refused = TOKEN[::-1]
    app = dashboard(server.url, tmp_path / "wrong", refused)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "check the token" in header(app), "the refusal is shown")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log")
        assert refused not in screen_text(app)


async def test_insecure_tls_is_flagged_in_the_header_for_as_long_as_it_runs(tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    with tls_server(tmp_path / "server", certificates) as server:
        url = https_url(server)
        app = dashboard(url, tmp_path / "insecure", insecure=True)
        async with app.run_test(size=SIZE) as pilot:
            assert INSECURE_BADGE in screen_text(app)  # from the first frame, before anything is connected
            await until(pilot, lambda: "live" in header(app), "live over wss without verification")
            await pilot.press("l")  # a dialog over it and gone: the header is drawn again
            await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log")
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, EventLogScreen), "the event log closes")
            assert INSECURE_BADGE in screen_text(app) and "live" in header(app)

        verified = dashboard(url, tmp_path / "verified", ca_cert=certificates.ca_cert)
        async with verified.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "live" in header(verified), "live over verified wss")
            assert INSECURE_BADGE not in screen_text(verified)
