"""What every API input schema shares: text a database can store.

PostgreSQL refuses NUL characters in text, so a NUL in any field (body or query) is a 422
naming that field here, at the edge, rather than a 500 from the database later.
"""

from typing import Any

from ninja import Schema
from pydantic import field_validator


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class InputSchema(Schema):
    """The base of every `…In` schema."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError("NUL characters are not allowed.")
        return value
