from uuid import UUID

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.throttling import AnonRateThrottle
from pydantic import Field

from accounts.models import Role
from accounts.services import api_token_create, user_create
from gigsta.schemas import InputSchema

router = Router(tags=["accounts"])
auth_throttle = [AnonRateThrottle(settings.API_AUTH_THROTTLE)]


class RegisterIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    display_name: str = Field(max_length=80)
    role: Role


class UserOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    email: str
    display_name: str
    role: str


class TokenIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    name: str = Field(default="API token", max_length=80)


class TokenOut(Schema):
    token: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """Every API error (gigsta/api.py)."""

    detail: str
    code: str
    errors: list[FieldErrorOut] | None = Field(None, description="With a 422: each invalid field.")


@router.post(
    "/auth/register",
    auth=None,
    throttle=auth_throttle,
    response={201: UserOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    operation_id="register_api",
)
def register_api(request: HttpRequest, payload: RegisterIn):
    """Create a client or provider account. A verification email is sent."""
    user = user_create(
        email=payload.email,
        password=payload.password,
        display_name=payload.display_name,
        role=payload.role,
        request=request,
    )
    return Status(201, user)


@router.post(
    "/auth/token",
    auth=None,
    throttle=auth_throttle,
    response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    operation_id="token_create_api",
)
def token_create_api(request: HttpRequest, payload: TokenIn):
    """Exchange email and password for a bearer token. The token is shown only in this answer."""
    user = authenticate(request, email=payload.email.strip().lower(), password=payload.password)
    if user is None or not user.is_active:
        raise HttpError(401, "Wrong email or password.")
    _, secret = api_token_create(user=user, name=payload.name)
    return {"token": secret}


@router.get("/me", response={200: UserOut, 401: ErrorOut}, operation_id="me_api")
def me_api(request: HttpRequest):
    """The signed-in account."""
    return request.auth
