"""The backend's HTTP API over httpx, with every failure turned into an `ApiError` that says what failed."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tf_tui.base.text import printable
from tf_tui.client.multipart import Progress, UnreadableFile, form_text, multipart_files
from tf_tui.client.pool import RenewablePool
from tf_tui.client.recognition import lists_active_runs, names_talent_factory, says_absent
from tf_tui.client.tls import untrusted_certificate

# httpx is imported at the first request, not with this module: a tenth of a second or more that the
# dashboard's first screen, which is painted before any request, does not wait for.
if TYPE_CHECKING:
    import httpx

# Timeouts as httpx takes them without its own type: (connect, read, write, pool), in seconds.
TIMEOUT = (3.0, 10.0, 10.0, 10.0)
# httpx retries only the connection's establishment (TCP and TLS), before any byte of a request is sent:
# safe for every call, an upload included.
CONNECT_RETRIES = 1
# The deployed backend ingests an upload (parses it, screens it for PII) before it answers.
UPLOAD_TIMEOUT = (3.0, 300.0, 10.0, 10.0)
# An evaluation reads thousands of held-out characters through the model: seconds, more on a busy box.
EVALUATE_TIMEOUT = (3.0, 120.0, 120.0, 120.0)
# Requests that change nothing: one that met a dropped connection is made again, once, on a new one.
IDEMPOTENT = frozenset({"GET", "HEAD"})
# What decoding a body that is not JSON raises: too deep a nesting is a RecursionError, not a ValueError.
NOT_JSON = (ValueError, RecursionError)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class ApiError(Exception):
    """A failed call, described in words fit to show a user."""


class BackendUnreachable(ApiError):
    pass


class NotFound(ApiError):
    pass


class RouteMissing(NotFound):
    """The backend has no such route: FastAPI's own 404 (`{"detail": "Not Found"}`) or a 405. What the
    deployed backend answers for the reference server's extensions; callers of an extension say so in
    words and carry on. A `NotFound` still, so a status read that gets it treats the run as before."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # the answer alone, in words (`HTTP 404, Not Found`): what capabilities keep


class NotTalentFactory(ApiError):
    """What answers at the backend's URL is not Talent Factory at all (a plain web server, another service, a
    wrong path: see tf_tui/client/recognition.py), so every call fails alike. Not a `NotFound`: no run is forgotten
    for it."""

    def __init__(self, url: str, answered: str) -> None:
        super().__init__(f"{url} is not a Talent Factory backend: {answered}")
        self.answered = answered  # what it answered, in words


class HttpError(ApiError):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class LogChunk:
    """Bytes of a run's log as one reply brings them: cut anywhere, a UTF-8 character's bytes included."""

    data: bytes
    next_offset: int  # where the next read starts
    size: int | None  # the log's length so far, when the server says
    complete: bool  # the run has ended and this reply reached the end of its log


class TalentFactoryApi:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        trust_env: bool = True,
        tls: ssl.SSLContext | None = None,
        on_identity: Callable[[str | None], None] = lambda answered: None,
    ) -> None:
        """`on_identity` hears what the URL answered when it turns out not to be Talent Factory, and None when
        it answers as one again."""
        self.url = url
        self._token = token
        self.not_talent_factory: str | None = None  # what the URL answered, while it is not Talent Factory
        self._talent_factory = False  # confirmed: never asked again
        self._identifying = asyncio.Lock()  # one check at a time: the calls that wait take its verdict
        self._on_identity = on_identity
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        verify: ssl.SSLContext | bool = tls or True

        def client() -> httpx.AsyncClient:
            import httpx

            return httpx.AsyncClient(
                base_url=url,
                headers=headers,
                timeout=TIMEOUT,
                trust_env=trust_env,
                verify=verify,  # for the proxy transports the client makes from the environment
                transport=httpx.AsyncHTTPTransport(retries=CONNECT_RETRIES, trust_env=trust_env, verify=verify),
            )

        self._pool = RenewablePool(client)

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def health(self) -> dict[str, Any]:
        return await self._json("GET", "/health")

    async def models(self) -> list[dict[str, Any]]:
        return _list_of_objects((await self._json("GET", "/models/list")).get("models"))

    async def datasets(self) -> list[dict[str, Any]]:
        return _list_of_objects((await self._json("GET", "/datasets/available")).get("datasets"))

    async def ingest(self, paths: Sequence[Path], name: str | None, on_progress: Progress) -> dict[str, Any]:
        """Upload files as one new dataset (one file: `ingest-single`, several: `ingest-multiple`), streamed
        from disk; `on_progress` hears the bytes sent. Never resent: a broken upload is said, not retried."""
        single = len(paths) == 1
        path = "/dataset/ingest-single" if single else "/dataset/ingest-multiple"
        form = {"name": form_text(name)} if name else None
        try:
            with multipart_files("file" if single else "files", paths, on_progress) as files:
                reply = await self._json("POST", path, data=form, files=files, timeout=UPLOAD_TIMEOUT)
        except UnreadableFile as error:
            raise ApiError(printable(error)) from None
        except BackendUnreachable as error:
            raise BackendUnreachable(
                f"{error}; it was not sent again (the list of datasets shows whether it arrived)"
            ) from None
        if not isinstance(reply.get("dataset_id"), str):
            raise ApiError(f"POST {path}: the server took the upload but gave no dataset_id")
        return reply

    async def start(
        self, base_model: str, dataset_ids: list[str], params: dict[str, Any], outcome: str
    ) -> dict[str, Any]:
        body = {
            "base_model": base_model,
            "dataset_ids": dataset_ids,
            "params": params,
            "outcome_preference": outcome,
        }
        reply = await self._json("POST", "/train/start", json=body)
        if not isinstance(reply.get("train_id"), str):
            raise ApiError("the server accepted the start but gave no train_id")
        return reply

    async def status(self, train_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/train/status/{_segment(train_id)}")

    async def stop(self, train_id: str) -> dict[str, Any]:
        return await self._json("POST", f"/train/stop/{_segment(train_id)}")

    async def metrics(self, train_id: str, after_step: int | None = None) -> dict[str, Any]:
        """A run's stored metrics, those after `after_step` when given: an extension of the reference
        server, `RouteMissing` where the backend has none."""
        query = {} if after_step is None else {"after_step": after_step}
        return await self._json("GET", f"/train/metrics/{_segment(train_id)}", params=query)

    async def active(self) -> list[str]:
        ids = (await self._json("GET", "/train/active")).get("active_trainings")
        return [ident for ident in ids if isinstance(ident, str)] if isinstance(ids, list) else []

    async def dashboard(self) -> dict[str, Any]:
        return await self._json("GET", "/dashboard")

    async def log(self, train_id: str, offset: int) -> LogChunk:
        """A part of the run's log from byte `offset` (the reference server's extension; RouteMissing elsewhere)."""
        what = f"GET /train/logs/{_segment(train_id)}"
        response = await self._response("GET", f"/train/logs/{_segment(train_id)}", params={"offset": offset})
        next_offset, size = _header_int(response, "X-Next-Offset"), _header_int(response, "X-Log-Size")
        if next_offset is None or next_offset < offset:
            raise ApiError(f"{what}: the answer has no valid X-Next-Offset header, so it is not a run's log")
        complete = response.headers.get("X-Log-Complete", "").strip().lower() == "true"
        return LogChunk(response.content, next_offset, size, complete)

    async def environment(self) -> dict[str, Any]:
        """`GET /env/check`. Never `/dependencies/*`: the deployed backend runs pip inside those requests."""
        return await self._json("GET", "/env/check")

    async def evaluate(self, talent_id: str, test_dataset_id: str | None = None) -> dict[str, Any]:
        body = {"talent_id": talent_id} | ({} if test_dataset_id is None else {"test_dataset_id": test_dataset_id})
        return await self._json("POST", "/evaluate/run", json=body, timeout=EVALUATE_TIMEOUT)

    async def evaluation(self, train_id: str) -> dict[str, Any]:
        """A run's latest stored evaluation, `{"evaluation": null}` before one: an extension of the reference
        server, `RouteMissing` where the backend has none."""
        return await self._json("GET", f"/evaluate/run/{_segment(train_id)}")

    async def publish(
        self,
        talent_id: str,
        name: str,
        category: str,
        version: str,
        model_path: str,
        metrics: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """`model_path` is the run's saved model as its status names it: the deployed backend requires it."""
        body: dict[str, Any] = {
            "id": talent_id,
            "name": name,
            "category": category,
            "version": version,
            "model_path": model_path,
        }
        if metrics is not None:
            body["metrics"] = metrics
        return await self._json("POST", "/talents/publish", json=body)

    async def talents(self) -> list[dict[str, Any]]:
        return _list_of_objects((await self._json("GET", "/mcp/talents")).get("talents"))

    async def try_talent(self, talent_id: str, test_input: str) -> dict[str, Any]:
        # The deployed backend's shape: a GET with the input in the query.
        path = f"/mcp/talents/{_segment(talent_id)}/test"
        return await self._json("GET", path, params={"test_input": test_input}, timeout=EVALUATE_TIMEOUT)

    async def _json(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        what = f"{method} {path}"
        response = await self._response(method, path, **options)
        try:
            body = response.json()
        except NOT_JSON:
            raise ApiError(f"{what}: HTTP {response.status_code} with {_body_text(response)}, not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(f"{what}: the answer is a JSON {type(body).__name__}, not an object")
        return body

    async def _response(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The answer to a request, if it is a success; else the failure, as an ApiError that says it."""
        import httpx

        what = f"{method} {path}"
        try:
            response = await self._send(method, path, **options)
        except httpx.TimeoutException:
            raise BackendUnreachable(f"{what}: {self.url} did not answer in time") from None
        except httpx.TransportError as error:
            # A transport error can quote the request's headers (h11 does, for an illegal value).
            reason = untrusted_certificate(error) or _reason(error)
            reason = reason.replace(self._token, "***") if self._token else reason
            if isinstance(error, httpx.ConnectError):
                raise BackendUnreachable(f"{what}: cannot reach {self.url} ({reason})") from None
            raise BackendUnreachable(
                f"{what}: the connection to {self.url} broke before the answer ({reason})"
            ) from None
        if says_absent(response):
            await self._check_identity()
        elif response.is_success and self.not_talent_factory is not None:
            self._identified(None)
        if response.status_code == 405 or (response.status_code == 404 and _json_detail(response) == "Not Found"):
            reason = f"HTTP {response.status_code}, {_detail(response)}"
            raise RouteMissing(f"{what}: {reason}: this backend has no such route", reason)
        if response.status_code == 404 and _has_json_detail(response):
            # Only the backend's own "not found" (FastAPI's JSON detail) forgets a run: a proxy's or a
            # wrong path prefix's 404 page is an error like any other.
            raise NotFound(f"{what}: HTTP 404, {_detail(response)}")
        if response.status_code >= 400:
            hint = "; check the token" if response.status_code in (401, 403) else ""
            raise HttpError(f"{what}: HTTP {response.status_code}, {_detail(response)}{hint}", response.status_code)
        return response

    async def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The request over the pool's connections. A connection that broke, or carried a 5xx, is not used
        again: the whole pool is renewed. A read that broke on a connection is made again, once, on the new
        pool; anything else that broke is never sent twice (it may have reached the server)."""
        import httpx

        # A kept-alive connection the server dropped without a word fails the next request sent over it with
        # one of these, before any answer: the deployed backend drops the connection after its stop's 500.
        dropped_connection = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
        try:
            response = await self._pool.request(method, path, **options)
        except dropped_connection:
            await self._pool.renew()
            if method not in IDEMPOTENT:
                raise
            response = await self._pool.request(method, path, **options)
        if response.status_code >= 500:
            await self._pool.renew()
        return response

    async def _check_identity(self) -> None:
        """After an answer that says a route is absent: raises NotTalentFactory when what answers at the URL
        is not Talent Factory at all. Asked the first time (one or two reads); then a backend confirmed is never
        asked again, and one that is not stays so until it answers a call with a success."""
        if self._talent_factory:
            return
        async with self._identifying:
            if not self._talent_factory and self.not_talent_factory is None:
                await self._identify()
        if self.not_talent_factory is not None:
            raise NotTalentFactory(self.url, self.not_talent_factory)

    async def _identify(self) -> None:
        """The rule of tf_tui/client/recognition.py, on the backend's answers; no answer decides nothing."""
        import httpx

        try:
            health = await self._pool.request("GET", "/health")
            active = None if names_talent_factory(health) else await self._pool.request("GET", "/train/active")
        except httpx.HTTPError:
            return
        if active is None or lists_active_runs(active):
            self._talent_factory = True
        elif says_absent(active):
            self._identified(f"GET /health answered {_answer(health)}, GET /train/active HTTP {active.status_code}")

    def _identified(self, answered: str | None) -> None:
        self.not_talent_factory = answered
        self._on_identity(answered)


def _answer(response: httpx.Response) -> str:
    """An answer in words: its status, then its detail or its body's start."""
    if response.is_success:
        return f"HTTP {response.status_code} with {_body_text(response)}"
    return f"HTTP {response.status_code}, {_detail(response)}"


def _detail(response: httpx.Response) -> str:
    """FastAPI's `detail` (a string, or a 422 list of field errors) in words; else the body's start."""
    try:
        detail = response.json().get("detail")
    except (*NOT_JSON, AttributeError):
        detail = None
    if isinstance(detail, str):
        return printable(detail, 300)
    if isinstance(detail, list) and detail:
        return "; ".join(_field_error(item) for item in detail[:5])
    if response.text.strip() == response.reason_phrase:
        return response.reason_phrase
    return f"{response.reason_phrase}: {_body_text(response)}"


def _body_text(response: httpx.Response) -> str:
    """A body that is not the API's JSON, in words: empty, an HTML page (a proxy's, a login's), or its start."""
    text = response.text.strip()
    if not text:
        return "an empty body"
    if "html" in response.headers.get("content-type", "") or text[:15].lower().startswith(("<!doctype", "<html")):
        title = _HTML_TITLE.search(text)
        return f'an HTML page titled "{printable(title.group(1).strip(), 100)}"' if title else "an HTML page"
    return f'"{printable(text, 200)}"'


def _json_detail(response: httpx.Response) -> object:
    try:
        body = response.json()
    except NOT_JSON:
        return None
    return body.get("detail") if isinstance(body, dict) else None


def _has_json_detail(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except NOT_JSON:
        return False
    return isinstance(body, dict) and "detail" in body


def _field_error(item: object) -> str:
    if not isinstance(item, dict):
        return printable(item, 200)
    location = [str(part) for part in item.get("loc", []) if part != "body"]
    message = printable(item.get("msg", "invalid"), 200)
    return f"{'.'.join(location)}: {message}" if location else message


def _reason(error: httpx.TransportError) -> str:
    """The first words along the chain of causes: httpx's read errors are often empty, the OS's are not."""
    cause: BaseException | None = error
    while cause is not None and not str(cause):
        cause = cause.__cause__ or cause.__context__
    return printable(str(cause) if cause is not None else type(error).__name__, 200)


def _segment(train_id: str) -> str:
    """A run id as one path segment: an id from the server may hold `/`, `?`, spaces or control characters."""
    return quote(train_id, safe="")


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _list_of_objects(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
