"""What every HTTP request goes through before and after its route, as plain ASGI middleware
(cheaper per request than Starlette's BaseHTTPMiddleware):

- `RequestGuard`: gives the request an id (the client's `X-Request-ID` when it is a short token,
  else a new one), returned in `X-Request-ID` and in every `Problem`; answers `HEAD` as `GET`
  without a body; adds the security headers to every response (a strict Content-Security-Policy:
  scripts, styles and everything else from this origin only, no inline code, no framing); and
  answers an unexpected exception with a plain 500, logged once in one short line (no traceback
  per request: the traceback is logged at DEBUG), so the connection stays open.
- `ApiKeyGuard`, when API keys are configured: every route but /healthz and the page's static
  shell (/, /docs, /static/…, which hold no data and ask for the key in the browser) needs
  `Authorization: Bearer <key>`; /metrics may have keys of its own (`api_keys.ApiKeys`).

- `RateLimitGuard`: on the routes that read the index, each client within its rate
  (`admission.RateLimits`), else a 429 with Retry-After, before FastAPI reads a parameter and
  after a pause of up to a second (a client past its rate costs as little as can be, and one
  that ignores Retry-After cannot ask faster than it is answered); what the request then reads
  of the index is read in that client's turns (`admission.reading_for`).

Who the client is, for the per-client limits of `admission`: its API key when keys are
required (checked here), else its address (`client_identity`). The address is the connection's,
or what a proxy the server trusts put in X-Forwarded-For (uvicorn's `--forwarded-allow-ips`,
127.0.0.1 by default).
"""

import asyncio
import json
import logging
import re
import secrets
import traceback
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newswire_api.admission import RateLimits, TooManyRequestsError, reading_for
from newswire_api.api_keys import ApiKeys
from newswire_api.echoes import logged_path
from newswire_api.errors import REQUEST_ID
from newswire_api.responses import Problem

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
REQUEST_ID_HEADER = b"x-request-id"
CLIENT = "client"
_CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
# Reachable without a key: liveness, and the page's shell, which asks for the key itself.
PUBLIC_PATHS = frozenset({"/healthz", "/", "/docs"})
PUBLIC_PREFIXES = ("/static/",)
# A refusal for a client past its rate waits this long before it is sent, and at most this many
# of one client's wait at once (`RateLimitGuard._refuse`).
REFUSAL_DELAY_S = 1.0
DELAYED_PER_CLIENT = 16
# The routes that read the index: the per-client rate applies to them.
INDEX_PATHS = frozenset({"/entities", "/sections"})
INDEX_PREFIXES = ("/articles/",)


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        rid = _request_id(scope["headers"])
        head = scope["method"] == "HEAD"
        scope = {**scope, "method": "GET"} if head else scope
        scope.setdefault("state", {})[REQUEST_ID] = rid
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                headers.extend(SECURITY_HEADERS)
                headers.append((REQUEST_ID_HEADER, rid.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        try:
            await self._app(scope, receive, guarded_send)
        except Exception as error:
            _log_unexpected(rid, scope, error)
            if started:
                raise  # the client has a status already; only closing the connection is left
            body = Problem(detail="internal error: it has been logged", request_id=rid)
            await send_json(guarded_send, 500, body.model_dump())


class ApiKeyGuard:
    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self._app = app
        self._keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self._app(scope, receive, send)
            return
        token = _bearer_token(scope["headers"])
        if self._keys.admits(path, token):
            client = self._keys.client(path, token)
            if client is not None:
                scope.setdefault("state", {})[CLIENT] = client
            await self._app(scope, receive, send)
            return
        rid = (scope.get("state") or {}).get(REQUEST_ID)
        log.info(
            "request %s: %s %s answered 401: no valid API key",
            rid,
            scope["method"],
            logged_path(path),
        )
        detail = "this API needs a key: send `Authorization: Bearer <key>` (ask its operator)"
        body = Problem(detail=detail, request_id=rid).model_dump()
        await send_json(send, 401, body, [(b"www-authenticate", b'Bearer realm="newswire"')])


class RateLimitGuard:
    def __init__(
        self, app: ASGIApp, limits: RateLimits, refusal_delay_s: float = REFUSAL_DELAY_S
    ) -> None:
        self._app = app
        self._limits = limits
        self._refusal_delay_s = refusal_delay_s
        self._delayed: dict[str, int] = {}  # refusals waiting to be sent, by client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path in INDEX_PATHS or path.startswith(INDEX_PREFIXES)):
            await self._app(scope, receive, send)
            return
        client = client_identity(scope)
        try:
            self._limits.take(client)
        except TooManyRequestsError as error:
            await self._refuse(scope, send, client, error)
            return
        reading_for.set(client)
        await self._app(scope, receive, send)

    async def _refuse(
        self, scope: Scope, send: Send, client: str, error: TooManyRequestsError
    ) -> None:
        """A 429, sent after a pause: a client that ignores Retry-After and asks again at once
        would otherwise be refused as fast as the API can write refusals (each still costs a
        request's handling), and one that waits loses nothing. At most DELAYED_PER_CLIENT of a
        client's refusals wait at once (the others are sent at once), so a client cannot make
        the API hold its connections without end."""
        rid = (scope.get("state") or {}).get(REQUEST_ID)
        log.debug("request %s: %s answered 429: %s", rid, logged_path(scope["path"]), error)
        waiting = self._delayed.get(client, 0)
        if waiting < DELAYED_PER_CLIENT:
            self._delayed[client] = waiting + 1
            try:
                await asyncio.sleep(min(self._refusal_delay_s, error.retry_after_s))
            finally:
                left = self._delayed.pop(client) - 1
                if left:
                    self._delayed[client] = left
        body = Problem(detail=str(error), request_id=rid).model_dump()
        await send_json(send, 429, body, [(b"retry-after", str(error.retry_after_s).encode())])


async def send_json(
    send: Send, status: int, body: object, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def client_identity(scope: Scope) -> str:
    """Who is asking: `key:…` when API keys are required, else `address:<ip>`."""
    client = (scope.get("state") or {}).get(CLIENT)
    if client:
        return str(client)
    address = scope.get("client")
    return f"address:{address[0]}" if address else "address:unknown"


def _request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _CLIENT_REQUEST_ID.fullmatch(value):
            return value.decode()
    return secrets.token_hex(8)


def _bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def _log_unexpected(rid: str, scope: Scope, error: Exception) -> None:
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    log.error(
        "request %s: %s %s failed: %s: %.200s (at %s)",
        rid,
        scope["method"],
        logged_path(scope.get("path", "")),
        type(error).__name__,
        error,
        where,
    )
    if log.isEnabledFor(logging.DEBUG):
        log.debug("".join(traceback.format_exception(error, limit=-10)))
