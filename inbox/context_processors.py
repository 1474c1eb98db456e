from django.http import HttpRequest

from inbox.selectors import notification_unread_count


def unread_count(request: HttpRequest) -> int:
    """The signed-in user's unread notifications: one query, at most once a request."""
    if not hasattr(request, "_inbox_unread"):
        request._inbox_unread = notification_unread_count(user=request.user)
    return request._inbox_unread


def inbox(request: HttpRequest) -> dict:
    """The nav badge's count, read only if a template shows it (templates call callables)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": lambda: unread_count(request)}
