"""The one family of domain errors: what a service refuses, with the HTTP status and the
stable code a caller sees. No Django here, so every layer may import it (the state machine
included); the API maps the family once (gigsta/api.py `on_domain_error`) and HTML pages
once (gigsta/forms.py `refusal_words`, and `form_submit` for forms).

A subclass names a kind of refusal; `status` and `code` are data on the class, and one
instance may carry a more precise `code` (TransitionNotAllowed: "wrong_state", "guard"…).
"""


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", code: str | None = None):
        super().__init__(message or self.__doc__ or self.code)
        if code:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class Conflict(DomainError):
    """The request is valid but the thing it acts on is not in a state that allows it."""

    status = 409
    code = "conflict"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Unavailable(DomainError):
    """Something outside GigSta that this request needs cannot be reached; nothing happened."""

    status = 503
    code = "unavailable"
