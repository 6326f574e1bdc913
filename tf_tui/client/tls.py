"""The one TLS context that both the HTTP client and the WebSocket use, so both trust the same servers."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

INSECURE_WARNING = "TLS certificates are not verified (--insecure): anyone on the network path can read the token"


class TlsSetupError(ValueError):
    """A CA certificate file that cannot be used; the message says which and why."""


def client_context(ca_cert: Path | None = None, *, insecure: bool = False, trust_env: bool = True) -> ssl.SSLContext:
    """Verification on by default, against httpx's trust store (certifi, or SSL_CERT_FILE/SSL_CERT_DIR).

    `ca_cert` replaces that store with a private CA, as curl's --cacert does; `insecure` turns
    verification off and wins over `ca_cert`, as curl's -k does.
    """
    # Imported here: httpx takes a tenth of a second to import, and `tf-tui --help` reads this module.
    import httpx

    if insecure:
        return httpx.create_ssl_context(verify=False)
    if ca_cert is None:
        return httpx.create_ssl_context(verify=True, trust_env=trust_env)
    try:
        return ssl.create_default_context(cafile=ca_cert)
    except FileNotFoundError:
        raise TlsSetupError(f"the CA certificate {ca_cert} does not exist") from None
    except ssl.SSLError as error:
        raise TlsSetupError(f"the CA certificate {ca_cert} holds no usable PEM certificate ({error.reason})") from None
    except OSError as error:
        raise TlsSetupError(f"cannot read the CA certificate {ca_cert}: {error.strerror}") from None


def backend_context(
    url: str, ca_cert: Path | None = None, *, insecure: bool = False, trust_env: bool = True
) -> ssl.SSLContext:
    """The context for a backend at `url`: `client_context` when anything on the way speaks TLS (an https
    URL, or an https proxy from the environment). A plain http backend gets a context that trusts no
    certificate, which costs nothing to make, where loading the trust store costs a fifth of a second of
    the start: should TLS ever be asked of it, it refuses rather than going unverified."""
    tls_proxy = trust_env and any(
        name.lower().endswith("_proxy") and value.startswith("https://") for name, value in os.environ.items()
    )
    if url.startswith("https://") or tls_proxy:
        return client_context(ca_cert, insecure=insecure, trust_env=trust_env)
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, against an empty store


def untrusted_certificate(error: BaseException) -> str | None:
    """Words for a failed certificate check anywhere in an error's chain (httpx wraps it); None if there is none."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return (
                f"the server's TLS certificate is not trusted ({current.verify_message}); "
                "give the CA that signed it with --ca-cert, or skip the check with --insecure"
            )
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
