"""A provider's calendar server on loopback: a real HTTP server that serves the .ics files in
feeds/ and misbehaves on purpose at other paths, counting what it is asked."""

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS = Path(__file__).parent / "feeds"
ETAG = '"v1"'


class FeedServer:
    """Paths: /feeds/<file> (with an ETag, 304 when it matches), /missing (404), /slow (answers
    after `slow_seconds`), /drip (a byte a second), /huge (`huge_bytes` without a length),
    /huge-declared (a length over the limit), /loop (redirects to itself), /hop/<n> (n redirects,
    then /feeds/berlin-weekly.ics), /html (a web page), /down (closes the connection), /to?<url> (redirects there)."""

    def __init__(self):
        self.asked: Counter[str] = Counter()
        self.conditional: list[str] = []  # paths asked with If-None-Match
        self.slow_seconds = 3.0
        self.huge_bytes = 3 * 1024 * 1024
        self.routes: dict[str, str] = {}  # path -> another path whose behaviour it takes
        self.bodies: dict[str, bytes] = {}  # path -> a calendar made by the test
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.asked[self.path] += 1
                if self.headers.get("If-None-Match"):
                    server.conditional.append(self.path)
                self.target = server.routes.get(self.path, self.path)
                if self.target in server.bodies:
                    return self._send(200, server.bodies[self.target], ETag=f'"{hash(server.bodies[self.target])}"')
                name = self.target.split("?", 1)[0].strip("/").split("/")[0].replace("-", "_")
                getattr(self, "_" + name, self._missing)()

            def _send(self, status: int, body: bytes = b"", content_type: str = "text/calendar", **headers):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def _feeds(self):
                name = self.target.split("/", 2)[2]
                if self.headers.get("If-None-Match") == ETAG:
                    self.send_response(304)
                    self.send_header("ETag", ETAG)
                    self.end_headers()
                    return
                self._send(200, (FEEDS / name).read_bytes(), "text/calendar; charset=utf-8", ETag=ETAG)

            def _missing(self):
                self._send(404, b"Not here", "text/plain")

            def _slow(self):
                time.sleep(server.slow_seconds)
                self._send(200, (FEEDS / "berlin-weekly.ics").read_bytes())

            def _drip(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b"B")
                    self.wfile.flush()
                    time.sleep(0.5)

            def _huge(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                line = b"BEGIN:VCALENDAR\r\n" + b"X-FILLER:" + b"x" * 1000 + b"\r\n"
                try:
                    for _ in range(server.huge_bytes // len(line) + 1):
                        self.wfile.write(line)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should

            def _huge_declared(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(server.huge_bytes))
                self.end_headers()
                self.close_connection = True

            def _to(self):
                self._send(302, Location=self.target.split("?", 1)[1])

            def _loop(self):
                self._send(302, Location="/loop")

            def _hop(self):
                left = int(self.target.rsplit("/", 1)[1])
                target = f"/hop/{left - 1}" if left > 1 else "/feeds/berlin-weekly.ics"
                self._send(302, Location=target)

            def _html(self):
                self._send(200, (FEEDS / "not-a-calendar.html").read_bytes(), "text/html")

            def _down(self):
                self.close_connection = True
                self.connection.close()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "FeedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
