"""Which backends are Talent Factory at all: a plain web server is named as not one, with what it answered;
the deployed backend (its extensions absent) and the reference server never are."""

from __future__ import annotations

import pytest

from tests.faulty_http import Fault, faulty_http
from tests.plain_web_server import plain_web_server
from tests.scripted_backend import running_backend
from tf_tui.client.api import ApiError, HttpError, NotFound, NotTalentFactory, RouteMissing, TalentFactoryApi


async def test_a_plain_web_server_is_named_with_what_it_answered_and_asked_once(tmp_path):
    with plain_web_server(tmp_path) as web:
        heard: list[str | None] = []
        api = TalentFactoryApi(web.url, trust_env=False, on_identity=heard.append)
        try:
            with pytest.raises(NotTalentFactory) as first:
                await api.active()
            with pytest.raises(NotTalentFactory):
                await api.start("tiny", ["d"], {}, "balanced")  # a POST: HTTP 501 from this server
            with pytest.raises(NotTalentFactory):
                await api.status("abcd1234")
        finally:
            await api.aclose()
    assert str(first.value) == (
        f"{web.url} is not a Talent Factory backend: GET /health answered HTTP 404, File not found: "
        'an HTML page titled "Error response", GET /train/active HTTP 404'
    )
    assert heard == [first.value.answered]  # told once, when it was learnt
    assert web.requests.count("GET /health") == 1  # the verdict is kept: the later calls are not checked again


async def test_a_deployed_backend_without_the_extensions_is_never_named_not_talent_factory(tmp_path):
    for health in ({"status": "healthy", "service": "Talent Factory"}, None):  # None: no /health route at all
        async with running_backend() as backend:
            backend.health = health
            backend.status_bodies["known"] = {"status": "training", "progress": 5}
            backend.proxy_404 = {"behind-a-proxy"}
            heard: list[str | None] = []
            api = TalentFactoryApi(backend.url, trust_env=False, on_identity=heard.append)
            try:
                with pytest.raises(RouteMissing):
                    await api.metrics("known")  # FastAPI's 404: an extension this backend lacks
                with pytest.raises(RouteMissing):
                    await api.log("known", 0)
                with pytest.raises(NotFound):
                    await api.status("unknown")
                with pytest.raises(HttpError) as proxied:
                    await api.status("behind-a-proxy")
                assert not isinstance(proxied.value, NotTalentFactory | NotFound)
            finally:
                await api.aclose()
            assert api.not_talent_factory is None and heard == []
            assert backend.requests.count("/health") == 1  # confirmed once, never asked again


async def test_the_reference_server_is_talent_factory(server):
    api = TalentFactoryApi(server.url, trust_env=False)
    try:
        with pytest.raises(NotFound):
            await api.status("0" * 32)
        assert api.not_talent_factory is None
    finally:
        await api.aclose()


async def test_a_url_that_answers_as_talent_factory_again_is_no_longer_named():
    with faulty_http() as backend:
        backend.fail("/", Fault("404", 404, '{"detail": "Not Found"}'))  # no route at all: not Talent Factory
        heard: list[str | None] = []
        api = TalentFactoryApi(backend.url, trust_env=False, on_identity=heard.append)
        try:
            with pytest.raises(NotTalentFactory):
                await api.active()
            backend.fail("/", None)  # the right server is back on the port
            assert await api.active() == []
            assert api.not_talent_factory is None
            backend.fail("/train/status/", Fault("502", 502, "Bad Gateway", "text/plain"))
            with pytest.raises(ApiError) as proxied:  # a proxy's trouble: decides nothing
                await api.status("run-1")
            assert not isinstance(proxied.value, NotTalentFactory)
        finally:
            await api.aclose()
    said, again = heard
    assert said is not None and "GET /train/active HTTP 404" in said and again is None
