"""Fetching a provider's calendar from the URL they pasted, safely: the URL is theirs, the
machine that fetches it is ours.

- http and https only, at most MAX_REDIRECTS redirects, each checked like the first URL;
- every address the host name resolves to must be public (not loopback, private, link-local,
  reserved…), and the connection goes to one of those checked addresses, so a name that
  resolves differently a second time (DNS rebinding) cannot point the fetch at our network;
- CALENDAR_IMPORT_CONNECT_TIMEOUT seconds to connect, CALENDAR_IMPORT_TIMEOUT for the whole
  fetch (a server dripping bytes is cut off too), and at most CALENDAR_IMPORT_MAX_BYTES read.

Every refusal is a FeedProblem whose message is a sentence for the provider. The standard
library does the HTTP (http.client): nothing here needs more.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

SCHEMES = ("http", "https")
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024
USER_AGENT = "GigSta calendar import (+https://gigsta.example/)"


class FeedProblem(Exception):
    """What is wrong with a provider's feed, in words for them; `code` is stable for the API."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Fetched:
    """A fetched calendar: its bytes, or `not_modified` when the server says ours is current."""

    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_problem(url: str) -> FeedProblem | None:
    """What is wrong with the URL itself, without any network: its scheme, its shape, a host
    that is an address on a private network or a name of this machine."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (a port that is not a number raises ValueError)
    except ValueError:
        return FeedProblem("bad_url", "This is not a web address.")
    if parts.scheme.lower() not in SCHEMES:
        return FeedProblem("bad_scheme", "Use an http:// or https:// address.")
    if not host:
        return FeedProblem("bad_url", "This is not a web address.")
    if settings.CALENDAR_IMPORT_ALLOW_PRIVATE:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return _private_network()
    try:
        if _private(host):
            return _private_network()
    except ValueError:
        pass  # a name: checked once it resolves
    return None


def _private_network() -> FeedProblem:
    return FeedProblem("private_address", "The address points to a private network.")


def _timeout(seconds: int | None = None) -> FeedProblem:
    seconds = seconds or settings.CALENDAR_IMPORT_TIMEOUT
    return FeedProblem("timeout", f"The server did not answer within {seconds} second{'s' * (seconds != 1)}.")


def _addresses(host: str, port: int, deadline: float) -> list[tuple]:
    """Where `host` resolves to, before the deadline (the resolver has no timeout of its own:
    it runs in a thread that is left behind if it is slow); refused when any of its addresses
    is not public."""
    pool = ThreadPoolExecutor(max_workers=1)
    lookup = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    pool.shutdown(wait=False)
    try:
        found = lookup.result(timeout=max(deadline - time.monotonic(), 0.01))
    except FutureTimeout:
        raise _timeout() from None
    except (OSError, UnicodeError):
        raise FeedProblem("unknown_host", f"The server name “{host[:100]}” was not found.") from None
    if not settings.CALENDAR_IMPORT_ALLOW_PRIVATE and any(_private(info[4][0]) for info in found):
        raise _private_network()
    return found


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    """A socket connected to one of the checked addresses of `host`."""
    last: OSError | None = None
    for family, kind, proto, _, address in _addresses(host, port, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout()
        sock = socket.socket(family, kind, proto)
        sock.settimeout(min(settings.CALENDAR_IMPORT_CONNECT_TIMEOUT, remaining))
        try:
            sock.connect(address)
            return sock
        except TimeoutError:
            sock.close()
            raise _timeout(min(settings.CALENDAR_IMPORT_CONNECT_TIMEOUT, settings.CALENDAR_IMPORT_TIMEOUT)) from None
        except OSError as exc:
            sock.close()
            last = exc
    reason = last.strerror if last and last.strerror else "no address answered"
    raise FeedProblem("unreachable", f"The server could not be reached ({reason}).")


class _Connection(http.client.HTTPConnection):
    """An HTTP connection over a socket we connected ourselves (to a checked address)."""

    def __init__(self, host: str, port: int, sock: socket.socket):
        super().__init__(host, port)
        self.sock = sock

    def connect(self) -> None:  # already connected
        pass


def _open(url: str, headers: dict[str, str], deadline: float) -> tuple[socket.socket, http.client.HTTPResponse]:
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    sock = _connect(host, port, deadline)
    sock.settimeout(max(deadline - time.monotonic(), 0.01))
    try:
        if scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        conn = _Connection(host, port, sock)
        path = parts.path or "/"
        conn.request("GET", f"{path}?{parts.query}" if parts.query else path, headers=headers)
        return sock, conn.getresponse()
    except TimeoutError:
        sock.close()
        raise _timeout() from None
    except ssl.SSLCertVerificationError:
        sock.close()
        raise FeedProblem("tls", "The server's certificate could not be verified.") from None
    except ssl.SSLError:
        sock.close()
        raise FeedProblem("tls", "The secure connection to the server failed.") from None
    except (http.client.RemoteDisconnected, ConnectionError):
        sock.close()
        raise FeedProblem("unreachable", "The server closed the connection without answering.") from None
    except (OSError, http.client.HTTPException):
        sock.close()
        raise FeedProblem("unreachable", "The server's answer is not valid HTTP.") from None


def _read(sock: socket.socket, answer: http.client.HTTPResponse, deadline: float) -> bytes:
    """The body, at most CALENDAR_IMPORT_MAX_BYTES of it, before the deadline."""
    limit = settings.CALENDAR_IMPORT_MAX_BYTES
    too_large = FeedProblem("too_large", f"The calendar is larger than {megabytes(limit)}.")
    length = answer.getheader("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    body = bytearray()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout()
            sock.settimeout(remaining)
            chunk = answer.read1(CHUNK)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise too_large
    except TimeoutError:
        raise _timeout() from None
    except (OSError, http.client.HTTPException):
        raise FeedProblem("unreachable", "The server broke off the answer.") from None


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET the calendar at `url` (with the validators of the version we have, if any).
    Raises FeedProblem."""
    deadline = time.monotonic() + settings.CALENDAR_IMPORT_TIMEOUT
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5", "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _ in range(MAX_REDIRECTS + 1):
        if problem := url_problem(url):
            raise problem
        sock, answer = _open(url, headers, deadline)
        try:
            if answer.status in REDIRECTS and answer.getheader("Location"):
                url = urljoin(url, answer.getheader("Location", "").strip())
                continue
            if answer.status == 304 and (etag or last_modified):
                return Fetched(etag=etag, last_modified=last_modified, not_modified=True)
            if answer.status != 200:
                raise FeedProblem("http_status", f"HTTP {answer.status} from the server.")
            body = _read(sock, answer, deadline)
            return Fetched(
                body=body,
                etag=(answer.getheader("ETag") or "")[:200],
                last_modified=(answer.getheader("Last-Modified") or "")[:100],
            )
        finally:
            answer.close()
            sock.close()
    raise FeedProblem("too_many_redirects", "Too many redirects.")
