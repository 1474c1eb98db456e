"""The one NinjaAPI, mounted at /api. Routers live in their apps; errors have one shape.

Every error body is {"detail": str, "code": str}; a 422 also has
"errors": [{"field": str, "message": str}] naming each invalid field.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from accounts.api import router as accounts_router
from accounts.services import api_token_authenticate
from bookings.api import router as bookings_router
from catalog.api import router as catalog_router
from gigsta.errors import DomainError
from payments.api import router as payments_router
from webhooks.api import router as webhooks_router


class InvalidToken(AuthenticationError):
    pass


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(secret=token)
        if user is None:
            # A request that sends a bearer token is judged by it alone: a revoked or wrong
            # token never falls back to a browser session that happens to be there too.
            raise InvalidToken()
        request.user = user
        return user


api = NinjaAPI(
    title="GigSta API",
    version="1.0.0",
    description="Find performers and service providers, book them, and follow each booking.",
    urls_namespace="api",
    # A same-origin browser session works too; ninja then checks the CSRF token on writes.
    auth=[BearerToken(), django_auth],
    throttle=[AnonRateThrottle(settings.API_ANON_THROTTLE), AuthRateThrottle(settings.API_USER_THROTTLE)],
)


def error(request: HttpRequest, status: int, detail: str, code: str, **extra) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


def _field_name(loc: list) -> str:
    # ninja reports locations like ["body", "payload", "email"]; keep the part a client sent.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    if parts and parts[0] in ("payload", "data", "filters"):
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(list(err.get("loc", []))), "message": err.get("msg", "Invalid value.")}
        for err in exc.errors
    ]
    first = errors[0] if errors else {"field": "body", "message": "Invalid request."}
    return error(request, 422, f"{first['field']}: {first['message']}", "validation_error", errors=errors)


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [{"field": field, "message": msg} for field, msgs in exc.message_dict.items() for msg in msgs]
    else:
        errors = [{"field": "body", "message": msg} for msg in exc.messages]
    first = errors[0]
    return error(request, 422, f"{first['field']}: {first['message']}", "validation_error", errors=errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if isinstance(exc, InvalidToken):
        return error(request, 401, "The bearer token is invalid or revoked.", "invalid_token")
    return error(request, 401, "Authentication required: send 'Authorization: Bearer <token>'.", "not_authenticated")


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = error(request, 429, "Too many requests. Try again later.", "rate_limited")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error(request, exc.status, exc.message, exc.code)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, str(exc) or "You are not allowed to do this.", "permission_denied")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "Not found.", "not_found")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja could not decode the body (JSONDecodeError and UnicodeDecodeError are ValueErrors).
        return error(request, 400, "The request body is not valid JSON.", "malformed_json")
    codes = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found", 409: "conflict"}
    return error(request, exc.status_code, str(exc), codes.get(exc.status_code, "error"))


api.add_router("", accounts_router)
api.add_router("", catalog_router)
api.add_router("", bookings_router)
api.add_router("", payments_router)
api.add_router("", webhooks_router)
