"""Cross-cutting HTTP concerns: request ids (for logs) and the Content-Security-Policy."""

import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

from gigsta.db_router import RequestState, replica_mark_unavailable, request_state, write_detector

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Use the proxy's X-Request-ID (or make one), expose it to logs and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    """Scripts and styles only from our own origin: no inline scripts anywhere.

    htmx works under it (its indicator styles are switched off in base.html). The admin and
    the interactive API docs are the exceptions: they ship inline code we do not control.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path.startswith(settings.CSP_RELAXED_PATHS)
            response["Content-Security-Policy"] = settings.CSP_RELAXED if relaxed else settings.CSP
        return response


class ReplicaPinMiddleware:
    """Read-your-writes with read replicas (gigsta/db_router.py; installed only with replicas).

    A POST, PUT, PATCH or DELETE reads from the primary (it checks what it is about to change).
    A request that wrote to the primary (or any successful POST, PUT, PATCH or DELETE) sends a
    signed cookie; for REPLICA_PIN_SECONDS that browser's reads stay on the primary, so it sees
    its own change at once, whatever the replicas' lag. A GET that failed because a replica went
    away while serving it is answered again from the primary.
    """

    COOKIE = "gigsta_primary"
    SALT = "gigsta.replica-pin"
    UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pin = settings.REPLICA_PIN_SECONDS
        pinned = request.get_signed_cookie(self.COOKIE, default=None, salt=self.SALT, max_age=pin) is not None
        # A POST, PUT, PATCH or DELETE reads what it is about to change: from the primary.
        state = RequestState(pinned=pinned or request.method in self.UNSAFE)
        request.replica_state = state
        token = request_state.set(state)
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(write_detector):
                response = self.get_response(request)
        finally:
            request_state.reset(token)
        succeeded_write = request.method in self.UNSAFE and response.status_code < 400
        if pin > 0 and (state.wrote or succeeded_write):
            response.set_signed_cookie(
                self.COOKIE,
                "1",
                salt=self.SALT,
                max_age=pin,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        state = getattr(request, "replica_state", None)
        # Whatever the exception's type (the API wraps a failed read in its own): what counts is
        # that a replica this request read from can no longer answer.
        if state is None or request.method not in {"GET", "HEAD"}:
            return None
        broken = [alias for alias in state.replica_checked if not _usable(alias)]
        if not broken or getattr(request, "replica_retried", False):
            return None
        for alias in broken:
            replica_mark_unavailable(alias, "connection lost")
        request.replica_retried = True
        state.pinned = True  # answer again, from the primary
        return self.get_response(request)


def _usable(alias: str) -> bool:
    connection = connections[alias]
    return connection.connection is not None and connection.is_usable()
