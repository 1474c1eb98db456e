"""The one NinjaAPI, mounted at /api. Routers live in their apps; errors have one shape.

Every error body is {"detail": str, "code": str}; a 422 also has
"errors": [{"field": str, "message": str}] naming each invalid field. Answers Django gives
before or after the API runs (500, unknown paths) have the same shape: gigsta/views.py.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from accounts.api import router as accounts_router
from accounts.services import api_token_authenticate
from bookings.api import router as bookings_router
from catalog.api import router as catalog_router
from gigsta.errors import DomainError
from inbox.api import router as inbox_router
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


class BrowserSession(SessionAuth):
    """A signed-in browser session, which must send its CSRF token on writes (403 without).
    No session at all is not a CSRF failure but no credentials: 401, as for a missing token."""

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


# Statuses any operation may answer besides its own, by what it has. The API's edges give them:
# the throttles (429), authentication (401, and 403 for a session write without its CSRF
# token), bodies that are not JSON or too large (400), invalid parameters (422), and
# Idempotency-Key (gigsta/idempotency.py: 409 while the first request runs, 422 reused).
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Any string up to 255 characters. The same key with the same body within 24 hours "
    "gets the first answer again; with another body, 422 idempotency_key_reused.",
    "schema": {"type": "string", "maxLength": 255},
}


def _edge_answers(method: str, operation: dict) -> dict[int, str]:
    answers = {429: "Too many requests"}
    if operation.get("security"):
        answers[401] = "No valid credentials"
    if method != "get":
        answers[400] = "The body is not JSON or is too large"
        if operation.get("security"):
            answers[403] = "A session write without its CSRF token, or not allowed"
    if method != "get" or operation.get("parameters") or operation.get("requestBody"):
        answers[422] = "A field is invalid"
    if method == "post":
        answers[409] = "A conflict, or a request with this Idempotency-Key is still running"
    return answers


class GigStaAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """ninja's schema, plus the statuses and the Idempotency-Key header every operation has."""
        schema = super().get_openapi_schema(**kwargs)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for methods in schema["paths"].values():
            for method, operation in methods.items():
                for status, description in _edge_answers(method, operation).items():
                    operation["responses"].setdefault(status, {"description": description, **error})
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
        return schema


api = GigStaAPI(
    title="GigSta API",
    version="1.0.0",
    description="Find performers and service providers, book them, and follow each booking.",
    urls_namespace="api",
    # A same-origin browser session works too; ninja then checks the CSRF token on writes.
    auth=[BearerToken(), BrowserSession()],
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


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
    return error(request, 400, f"The request body is larger than {limit:g} MB.", "body_too_large")


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
api.add_router("", inbox_router)
