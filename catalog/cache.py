"""A short-lived cache for search answers, invalidated by a catalog version number.

Every write that can change what a search returns (services, busy days, provider names)
calls `catalog_changed()`, which bumps the version; cache keys carry the version, so the
next search after a change misses and reads the database. The version lives in the shared
cache (Redis with REDIS_URL, else a database table), so every worker sees a change at once.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "catalog:version"


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def catalog_changed() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet
        cache.add(VERSION_KEY, 2, timeout=None)


def search_cache_key(kind: str, query: list[tuple[str, str]]) -> str:
    """A key for one search: the kind of answer, the sorted query parameters, the version; "" when
    the answer cache is off, without asking the shared cache for the version."""
    if not settings.SEARCH_CACHE_SECONDS:
        return ""
    raw = "&".join(f"{k}={v}" for k, v in sorted(query))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"search:{kind}:{catalog_version()}:{digest}"


def search_cache_get(key: str):
    return cache.get(key) if key else None


def search_cache_set(key: str, value) -> None:
    if key:
        cache.set(key, value, timeout=settings.SEARCH_CACHE_SECONDS)
