"""A fleet of real reference servers in trouble: one dies mid-run and comes back, one refuses the token.
Each backend shows its own state, and the others' updates keep coming all along."""

from __future__ import annotations

from tests.conftest import ENDLESS_PARAMS, FAST_BACKOFF, api_client, client_settings, start_run, until
from tf_tui.client.stream import Phase
from tf_tui.core.fleet import Fleet, RunKey
from tf_tui.core.local_server import ServerProcess
from tf_tui.core.session import Session
from tf_tui.core.store import Source


async def test_a_dead_backend_and_a_refused_one_hold_up_nothing_and_the_dead_one_is_recovered(
    server, start_server, tmp_path
):
    dying = start_server(tmp_path / "dying")
    guarded = start_server(tmp_path / "guarded", token="the-right-token")
    urls = {"steady": server.url, "dying": dying.url, "guarded": guarded.url}
    tokens = {"guarded": "a-wrong-token"}
    # One state file for all three, as one tf-tui keeps: each backend has its own entry in it.
    fleet = Fleet(
        {
            name: Session(client_settings(url, tmp_path, tokens.get(name)), backoff=FAST_BACKOFF)
            for name, url in urls.items()
        }
    )
    async with api_client(server.url) as steady_http, api_client(dying.url) as dying_http:
        steady = RunKey("steady", await start_run(steady_http, **ENDLESS_PARAMS))
        doomed = RunKey("dying", await start_run(dying_http, **ENDLESS_PARAMS))
        try:
            await fleet.open()
            await fleet.watch([steady, doomed])

            def phase(name: str) -> Phase:
                return fleet.connections()[name].phase

            def stepped(key: RunKey) -> bool:
                run = fleet.get(key)
                return run.step is not None and run.last_source is Source.WS

            await until(lambda: stepped(steady) and stepped(doomed), what="both runs stream their steps")
            await until(lambda: phase("guarded") is Phase.FAILED, what="the refused token ends that backend")
            assert "check the token" in fleet.connections()["guarded"].describe()
            assert phase("steady") is Phase.LIVE and phase("dying") is Phase.LIVE

            port = dying.port
            dying.kill()
            await until(lambda: phase("dying") is Phase.RETRYING, what="the dead backend is seen retrying")
            before = fleet.get(steady).step or 0
            # While one backend is dead and another refused, the steady one's updates keep coming.
            await until(lambda: (fleet.get(steady).step or 0) > before, what="the steady run streams on")
            # Still trying to come back: between two attempts, or in one (a short backoff, so either).
            assert phase("dying") in (Phase.RETRYING, Phase.CONNECTING) and phase("steady") is Phase.LIVE
            assert fleet.get(doomed).status == "training"  # not guessed at while the backend is away

            back = ServerProcess(tmp_path / "dying", port=port)
            back.start()
            try:
                # The server failed the run it lost; the fleet learns it by itself on reconnecting.
                await until(lambda: fleet.get(doomed).ended, what="the dead backend's run is recovered")
                assert fleet.get(doomed).status == "failed" and "stopped while" in (fleet.get(doomed).error or "")
                assert phase("dying") is Phase.LIVE and not fleet.get(steady).ended

                # Written when the reconnect's batch of reads is done, which may be after the run is seen to end.
                def states() -> dict[str, list[str]]:
                    return {name: session.state.active(session.state_key) for name, session in fleet.sessions.items()}

                expected = {"steady": [steady.train_id], "dying": [], "guarded": []}
                await until(lambda: states() == expected, what="the ended run leaves the state file")
            finally:
                back.stop()
        finally:
            await fleet.close()
            await steady_http.post(f"/train/stop/{steady.train_id}")
