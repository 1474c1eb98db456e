"""Project-level pages: home, health, readiness and the friendly error pages."""

import datetime as dt
import ipaddress

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView

from catalog.selectors import categories_all
from gigsta.db_router import replicas_health

# An account this young is greeted as new ("Welcome to GigSta"), not as returning.
NEW_ACCOUNT_FOR = dt.timedelta(days=1)


def home(request: HttpRequest) -> HttpResponse:
    context = {"categories": categories_all()[:8], "new_account_since": timezone.now() - NEW_ACCOUNT_FOR}
    return render(request, "home.html", context)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database cannot fail it."""
    return JsonResponse({"status": "ok"})


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """The database answers and every migration is applied: safe to send traffic here.
    With read replicas, each one's lag (or why it is skipped) is reported too."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any database failure means "not ready"
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}, status=503
        )
    if pending:
        return JsonResponse({"status": "unavailable", "database": "ok", "pending_migrations": len(pending)}, status=503)
    report = {"status": "ok", "database": "ok", "pending_migrations": 0}
    if settings.DATABASE_REPLICA_URLS:
        # A lagging or stopped replica is skipped (the primary serves its reads): reported, still ready.
        report["replicas"] = {alias: health.as_dict() for alias, health in replicas_health(fresh=True).items()}
        report["replica_max_lag_seconds"] = settings.REPLICA_MAX_LAG_SECONDS
    return JsonResponse(report)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for scrapers inside the private network only.

    A request that came through the reverse proxy (it sets X-Forwarded-For) is refused even
    from an allowed address: the proxy's own address is private too.
    """
    client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "0.0.0.0"))  # noqa: S104
    allowed = any(client in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)
    if not allowed or "HTTP_X_FORWARDED_FOR" in request.META:
        return error_404(request)
    return ExportToDjangoView(request)


# API clients get the API's error shape from Django's own error answers too: for paths the API
# does not have, for what Django refuses before the API runs, and for a crash.
API_ERRORS = {
    400: {"detail": "Bad request.", "code": "bad_request"},
    403: {"detail": "You are not allowed to do this.", "code": "permission_denied"},
    404: {"detail": "Not found.", "code": "not_found"},
    500: {"detail": "Something went wrong on our side; it has been logged.", "code": "server_error"},
}


def _api_error(request: HttpRequest, status: int) -> JsonResponse | None:
    if request.path.startswith("/api/"):
        return JsonResponse(API_ERRORS[status], status=status)
    return None


def error_400(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig) and request.path.startswith("/api/"):
        from gigsta.api import on_body_too_large  # the API's own words for it

        return on_body_too_large(request, exception)
    return _api_error(request, 400) or defaults.bad_request(request, exception)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return _api_error(request, 403) or render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return _api_error(request, 404) or render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the database may be what failed.
    from django.template import loader

    return _api_error(request, 500) or HttpResponse(loader.get_template("500.html").render(), status=500)
