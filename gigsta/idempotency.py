"""Idempotency-Key on every API POST (shared/API.md, version 1.1).

The first request with a key claims it for its caller (a unique row), runs, and leaves its
answer there for 24 hours. The same caller sending the same key again gets, with the same
method, path and body, that answer again (`Idempotent-Replayed: true`) and nothing runs twice;
with anything else, 422 `idempotency_key_reused`; while the first is still running, 409
`idempotency_key_in_use`. Answers that say the request did not run (no credentials, a refused
CSRF token, the rate limit, a server error) are not kept: the retry runs.

Answers can carry secrets (POST /api/auth/token answers with a token), so a kept answer is
encrypted with a key derived from SECRET_KEY and the request itself: only a request with the
same body (for a token, the same password) can read it back.
"""

import base64
import datetime as dt
import hashlib
import hmac

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from accounts.services import api_token_authenticate
from gigsta.models import IdempotentAnswer

HEADER = "Idempotency-Key"
KEEP = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
NOT_KEPT = {401, 403, 429}


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            return _refused(422, "validation_error", f"{HEADER}: send 1 to {MAX_KEY_LENGTH} characters.", field=True)
        caller = _caller(request)
        if caller is None:
            return self.get_response(request)  # the API answers 401 and nothing runs: nothing to keep
        body = _body_digest(request)
        fingerprint = _mac(b"fingerprint", request.method.encode(), request.path.encode(), body).hex()
        IdempotentAnswer.objects.filter(caller=caller, key=key, created_at__lt=timezone.now() - KEEP).delete()
        try:
            with transaction.atomic():
                claim = IdempotentAnswer.objects.create(caller=caller, key=key, fingerprint=fingerprint)
        except IntegrityError:
            return _earlier_answer(caller, key, fingerprint, body)
        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            claim.delete()
            return response
        claim.status, claim.content_type = response.status_code, response.get("Content-Type", "")
        claim.body = _sealer(caller, key, body).encrypt(response.content).decode()
        claim.save(update_fields=["status", "content_type", "body"])
        return response


def idempotent_answers_purge(now: dt.datetime) -> int:
    """Forget answers older than 24 hours (run_timers)."""
    return IdempotentAnswer.objects.filter(created_at__lt=now - KEEP).delete()[0]


def _caller(request: HttpRequest) -> str | None:
    """Whom the key belongs to: the account of the bearer token or session, or "anonymous" for
    requests without credentials (the API refuses those where it needs them). None: bad token."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = api_token_authenticate(secret=secret.strip())
        return f"user:{user.pk}" if user else None
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return "anonymous"


def _body_digest(request: HttpRequest) -> bytes:
    """The body, as a digest. Uploads are read through Django's parser (the raw body of a
    multipart request may be larger than what Django reads into memory)."""
    if request.content_type != "multipart/form-data":
        return hashlib.sha256(request.body).digest()
    digest = hashlib.sha256()
    for name, values in sorted(request.POST.lists()):
        digest.update(repr((name, values)).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(repr((name, upload.name, upload.size)).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.digest()


def _mac(*parts: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"\n".join(parts), hashlib.sha256).digest()


def _sealer(caller: str, key: str, body: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_mac(b"answer", caller.encode(), key.encode(), body)))


def _earlier_answer(caller: str, key: str, fingerprint: str, body: bytes) -> HttpResponse:
    earlier = IdempotentAnswer.objects.filter(caller=caller, key=key).first()
    if earlier is None or earlier.status is None:
        return _refused(
            409, "idempotency_key_in_use", "A request with this Idempotency-Key is still running: retry in a moment."
        )
    if not hmac.compare_digest(earlier.fingerprint, fingerprint):
        return _refused(
            422,
            "idempotency_key_reused",
            f"{HEADER}: this key was used for another request. Use a new key for each request.",
            field=True,
        )
    content = _sealer(caller, key, body).decrypt(earlier.body.encode())
    response = HttpResponse(content, status=earlier.status, content_type=earlier.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _refused(status: int, code: str, detail: str, *, field: bool = False) -> JsonResponse:
    body = {"detail": detail, "code": code}
    if field:
        body["errors"] = [{"field": HEADER, "message": detail.removeprefix(f"{HEADER}: ")}]
    return JsonResponse(body, status=status)
