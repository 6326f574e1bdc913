"""One identity per backend: the name under which everything tf-tui keeps of it is filed (the state
file's runs, the start dialog's choices) is its URL, normalised, however the backend was named.

Earlier versions filed the `--local` server's runs under `local:<its data dir>`, apart from the same
server given by its URL: one server, two memories. A key of that form read from a file is taken as the
URL of the server recorded in that data dir now, and kept as it is while none is recorded there.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tf_tui.common.server_address import read_address

LEGACY_LOCAL_PREFIX = "local:"
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def backend_key(url: str) -> str:
    """The URL as the one name of its backend: scheme and host in lower case (neither tells two servers
    apart), no default port, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port is not None and netloc.endswith(f":{default_port}"):
        netloc = netloc.removesuffix(f":{default_port}")
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def stored_key(key: str) -> str:
    """A backend's key as a file written by this or an earlier version holds it, as this version names it."""
    if not key.startswith(LEGACY_LOCAL_PREFIX):
        return backend_key(key)
    address = read_address(Path(key.removeprefix(LEGACY_LOCAL_PREFIX)))
    return key if address is None else backend_key(address.url)
