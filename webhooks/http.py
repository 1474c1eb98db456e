"""POSTs to partners' addresses that reach public addresses only. The address is checked on
the socket actually connected, not on a separate DNS look-up, so a name that resolves
differently the second time cannot point a delivery at our own network."""

import ipaddress
import socket

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_ANSWER_BYTES = 64 * 1024  # what is read of an answer: its status is all that matters


class NotPublic(Exception):
    """The address is loopback, private, link-local or reserved."""


def _public_only(sock: socket.socket) -> socket.socket:
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS and not ipaddress.ip_address(sock.getpeername()[0]).is_global:
        sock.close()
        raise NotPublic("The address is not public: not sent.")
    return sock


class _HTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _public_only(super()._new_conn())


class _HTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _public_only(super()._new_conn())  # before any TLS byte is sent


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST `body`; the answer's status and reason. Raises NotPublic, or urllib3's errors
    when the address cannot be reached. No redirects, no retries (the task retries)."""
    manager = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    answer = manager.request("POST", url, body=body, headers=headers, redirect=False, preload_content=False)
    try:
        answer.read(MAX_ANSWER_BYTES)
    finally:
        answer.release_conn()
        manager.clear()
    return answer.status, answer.reason or ""
