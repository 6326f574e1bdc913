"""A private CA made for the test, and the reference server serving https/wss with a certificate it signed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

from tf_tui.core.local_server import ServerProcess


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path  # what a client is told to trust
    certificate: Path  # the server's chain and key, for 127.0.0.1 and localhost
    key: Path


def make_certificates(directory: Path) -> TlsFiles:
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    authority.cert_pem.write_to_path(str(files.ca_cert))
    issued.private_key_pem.write_to_path(str(files.key))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(files.certificate), append=True)
    return files


def tls_server(data_dir: Path, files: TlsFiles, **options: Any) -> ServerProcess:
    """Not started: use it as a context manager, or start it."""
    return ServerProcess(
        data_dir, serve_args=["--tls-cert", str(files.certificate), "--tls-key", str(files.key)], **options
    )


def https_url(server: ServerProcess) -> str:
    return server.url.replace("http://", "https://", 1)
