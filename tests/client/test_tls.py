"""TLS against the reference server serving https/wss with a certificate from a CA made in the test.

Verification is on by default: without the CA the client fails in words; `--ca-cert` makes it work;
`--insecure` makes it work too, and says so, for good, in the header and on stderr.
"""

from __future__ import annotations

import ssl
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ENDLESS_PARAMS, until
from tests.tls import https_url, make_certificates, tls_server
from tf_tui.cli import main
from tf_tui.client.api import BackendUnreachable
from tf_tui.client.stream import Phase
from tf_tui.client.tls import INSECURE_WARNING
from tf_tui.core.store import Source


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def secure_server(tmp_path_factory, certificates):
    with tls_server(tmp_path_factory.mktemp("tls-server"), certificates, max_concurrent=2) as process:
        yield process


@pytest.fixture
def cli(tmp_path):
    def run(*arguments: str, url: str):
        environment = {
            "TF_TUI_STATE_FILE": str(tmp_path / "state.json"),
            "TF_TUI_LOG_FILE": str(tmp_path / "tf-tui.log"),
            "TF_TUI_CONFIG": str(tmp_path / "no-config.toml"),
            "PATH": "/usr/bin:/bin",
        }
        return subprocess.run(
            [sys.executable, "-m", "tf_tui", "--url", url, *arguments],
            capture_output=True, text=True, timeout=90, env=environment, check=False,
        )  # fmt: skip

    return run


async def test_the_server_serves_https_and_refuses_plain_http(secure_server, certificates):
    trusted = ssl.create_default_context(cafile=certificates.ca_cert)
    async with httpx.AsyncClient(verify=trusted, trust_env=False) as client:
        assert (await client.get(https_url(secure_server) + "/health")).json()["status"] == "healthy"
        with pytest.raises(httpx.TransportError):
            await client.get(secure_server.url + "/health")


async def test_without_the_ca_both_transports_fail_in_words(secure_server, make_session):
    async with make_session(https_url(secure_server)) as session:
        await until(lambda: session.connection.phase is Phase.FAILED, what="the stream gives up")
        said = session.connection.describe()
        assert "TLS certificate is not trusted" in said and "--ca-cert" in said
        with pytest.raises(BackendUnreachable, match="TLS certificate is not trusted"):
            await session.api.health()


async def follow_an_endless_run_and_stop_it(session) -> None:
    """The run starts over HTTPS, trains in frames over WSS, and stops over HTTPS."""
    await until(lambda: session.connection.phase is Phase.LIVE, what="the socket is live")
    train_id = (await session.start("tiny", ["builtin-arithmetic"], params=ENDLESS_PARAMS)).train_id
    run = session.store.ensure(train_id)
    await until(lambda: run.status == "training" and run.last_source is Source.WS, what="a training frame")
    assert (await session.stop(train_id)).stopped


async def test_the_ca_certificate_makes_https_and_wss_work(secure_server, certificates, make_session):
    async with make_session(https_url(secure_server), ca_cert=certificates.ca_cert) as session:
        await follow_an_endless_run_and_stop_it(session)


async def test_insecure_works_without_the_ca(secure_server, make_session):
    async with make_session(https_url(secure_server), insecure=True) as session:
        await follow_an_endless_run_and_stop_it(session)


def test_headless_commands_verify_and_warn_when_told_not_to(secure_server, certificates, cli):
    url = https_url(secure_server)
    refused = cli("status", url=url)
    assert refused.returncode == 1
    assert "TLS certificate is not trusted" in refused.stderr and "Traceback" not in refused.stderr

    trusted = cli("--ca-cert", str(certificates.ca_cert), "start", "--model", "tiny", "--dataset",
                  "builtin-units", "--param", "max_steps=300", "--watch", url=url)  # fmt: skip
    assert trusted.returncode == 0, trusted.stderr
    assert "completed 100%" in trusted.stdout and "warning" not in trusted.stderr

    insecure = cli("status", "--insecure", url=url)
    assert insecure.returncode == 0, insecure.stderr
    assert INSECURE_WARNING in insecure.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "does not exist"), ("not a certificate", "holds no usable PEM certificate")],
)
def test_an_unusable_ca_file_is_said_before_connecting(tmp_path, cli, content, words):
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_text(content)
    result = cli("status", "--ca-cert", str(ca_file), url="https://127.0.0.1:9")
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_half_or_broken_tls_options_in_words(tmp_path, certificates, capsys):
    data = ["--data-dir", str(tmp_path / "data"), "--port", "0"]
    assert main(["serve", *data, "--tls-cert", str(certificates.certificate)]) == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err
    assert main(["serve", *data, "--tls-cert", str(certificates.ca_cert), "--tls-key", str(certificates.key)]) == 2
    assert "not a matching PEM certificate and key" in capsys.readouterr().err
    assert main(["serve", *data, "--tls-cert", str(tmp_path / "none.pem"), "--tls-key", str(certificates.key)]) == 2
    assert "cannot read" in capsys.readouterr().err


async def test_only_a_backend_that_speaks_tls_costs_a_trust_store(
    server, secure_server, certificates, make_session, monkeypatch
):
    """Loading the certificates to trust takes a fifth of a second of the start: a plain http backend,
    which never needs them, loads none, and still works."""
    loaded: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(context: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loaded.append(args or kwargs)
        load(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    async with make_session(server.url) as session:
        assert (await session.api.health())["status"]
    assert loaded == []

    async with make_session(https_url(secure_server), ca_cert=certificates.ca_cert) as session:
        assert (await session.api.health())["status"]
    assert loaded
