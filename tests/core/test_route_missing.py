"""A route the backend lacks reads as such, apart from a run it does not know, against the real server."""

from __future__ import annotations

import pytest

from tf_tui.base.capabilities import Capabilities, Extension
from tf_tui.client.api import NotFound, RouteMissing, TalentFactoryApi
from tf_tui.core.local_server import ServerProcess


async def test_an_unknown_route_is_route_missing_and_an_unknown_run_is_not(server: ServerProcess) -> None:
    api = TalentFactoryApi(server.url)
    try:
        with pytest.raises(RouteMissing, match=r"GET /no/such/route: HTTP 404, Not Found: this backend has no"):
            await api._json("GET", "/no/such/route")
        with pytest.raises(RouteMissing, match="HTTP 405"):
            await api._json("DELETE", "/health")
        with pytest.raises(NotFound) as unknown_run:
            await api.status("no-such-run")
        assert not isinstance(unknown_run.value, RouteMissing)
    finally:
        await api.aclose()


def test_capabilities_remember_the_first_reason_a_backend_gave() -> None:
    capabilities = Capabilities()
    assert capabilities.missing(Extension.LOGS) is None
    capabilities.lacks(Extension.LOGS, "HTTP 404")
    capabilities.lacks(Extension.LOGS, "HTTP 405")
    assert capabilities.missing(Extension.LOGS) == "this backend does not offer a run's log (HTTP 404)"
    assert capabilities.missing(Extension.METRICS) is None
