"""A browser-like HTTP client for the stack (standard library only), and the sign-up and log-in journeys."""

import http.client
import json
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlsplit

from deploy.processes import HOST

PROXY_PORT, APP_PORT = 8780, 8781
PROXY_URL, APP_URL = f"http://{HOST}:{PROXY_PORT}", f"http://{HOST}:{APP_PORT}"
TIMEOUT = 15


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        content_type = self.headers.get("Content-Type") or ""
        assert content_type.startswith("application/json"), f"expected JSON, got Content-Type {content_type!r}"
        return json.loads(self.body)

    def one(self, name: str) -> str | None:
        """The header's value; fails when the response repeats it."""
        values = self.headers.get_all(name) or []
        assert len(values) <= 1, f"{name} is sent {len(values)} times: {values}"
        return values[0] if values else None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is a response to look at, not to follow


class Client:
    """Keeps cookies, never follows redirects by itself. Through nginx unless told otherwise."""

    def __init__(self, base: str = PROXY_URL):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect())

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None) -> Response:
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str], **kwargs) -> Response:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": PROXY_URL,
            "Referer": self.base + path,
        }
        return self.request("POST", path, data=urlencode(fields).encode(), headers=headers, **kwargs)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)


def post_oversized(path: str, size: int) -> Response:
    """POST a body of `size` bytes with plain http.client; nginx may answer before it is all sent."""
    conn = http.client.HTTPConnection(HOST, PROXY_PORT, timeout=TIMEOUT)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        chunk, sent = b"\0" * 65536, 0
        try:
            while sent < size:
                conn.send(chunk[: size - sent])
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx refused the body early; its answer is still there to read
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


# --- Journeys


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    name: str


def csrf_token(page: Response) -> str | None:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    return token.group(1) if token else None


def sign_up(label: str) -> Account:
    """A new client account through the sign-up form; the page after it shows the new name."""
    client = Client()
    page = client.get("/accounts/signup/")
    assert page.status == 200, f"GET /accounts/signup/ answered {page.status}"
    token = csrf_token(page)
    assert token is not None and client.cookie("csrftoken") is not None, "no CSRF token or cookie"
    account = Account(
        email=f"stack-{secrets.token_hex(4)}@example.com",
        password=secrets.token_urlsafe(18),
        name=f"Stack {label} {secrets.token_hex(3)}",
    )
    fields = {
        "csrfmiddlewaretoken": token, "display_name": account.name, "email": account.email,
        "password1": account.password, "role": "client",
    }  # fmt: skip
    r = client.post_form("/accounts/signup/", fields)
    assert r.status == 302, f"POST /accounts/signup/ answered {r.status}, not 302: {r.text[:300]}"
    location = r.one("Location") or ""
    assert client.cookie("sessionid") is not None, "no session cookie after sign-up"
    landing = client.get(urlsplit(location).path or "/")
    assert landing.status == 200, f"GET {location} after sign-up answered {landing.status}"
    assert account.name in landing.text, f"the page after sign-up does not show {account.name!r}"
    return account


def log_in(account: Account) -> None:
    """Through the login form; the page after it shows the account's name."""
    client = Client()
    page = client.get("/accounts/login/")
    token = csrf_token(page)
    assert page.status == 200 and token is not None, f"GET /accounts/login/ answered {page.status}"
    fields = {"csrfmiddlewaretoken": token, "login": account.email, "password": account.password}
    r = client.post_form("/accounts/login/", fields)
    assert r.status == 302, f"POST /accounts/login/ answered {r.status}: {r.text[:300]}"
    landing = client.get(urlsplit(r.one("Location") or "/").path or "/")
    assert account.name in landing.text, f"the page after logging in does not show {account.name!r}"
