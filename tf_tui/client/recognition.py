"""Whether what answers at a backend's URL is Talent Factory at all: the rule, on two answers.

It is asked only after an answer that says a route is absent (404, 405, 501): a plain web server
(`python3 -m http.server`), another service or a wrong path then answers every call that way, and
would otherwise be retried for ever as a backend that is down. The deployed backend also answers 404
for the reference server's extensions, so one such answer proves nothing; the rule reads two others:

- `GET /health` names the service (`"service": "Talent Factory"`, as the deployed backend and the
  reference server both answer): Talent Factory.
- Else `GET /train/active`, a route of the contract, answers its shape (`active_trainings`, a list):
  Talent Factory still.
- Else, if `/train/active` is absent too: not Talent Factory.

Anything else (a refused token, a 5xx, a proxy's page, no answer at all) decides nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

SERVICE = "Talent Factory"
# The statuses that say "no such route here": what a server without the contract answers.
ABSENT_STATUSES = frozenset({404, 405, 501})
# How often a backend that is not Talent Factory is asked again (its socket, its runs' statuses): a plain
# web server will not become one soon, and reading it every few seconds only fills its log.
NOT_TALENT_FACTORY_RETRY_S = 60.0


def says_absent(response: httpx.Response) -> bool:
    return response.status_code in ABSENT_STATUSES


def names_talent_factory(health: httpx.Response) -> bool:
    """`GET /health`'s answer names Talent Factory as its service."""
    body = _json_object(health)
    return health.is_success and body is not None and body.get("service") == SERVICE


def lists_active_runs(active: httpx.Response) -> bool:
    """`GET /train/active`'s answer has the contract's shape."""
    body = _json_object(active)
    return active.is_success and body is not None and isinstance(body.get("active_trainings"), list)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
        return None
    return body if isinstance(body, dict) else None
