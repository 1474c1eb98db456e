"""Cross-cutting HTTP concerns: request ids (for logs) and the Content-Security-Policy."""

import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
