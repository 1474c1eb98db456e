"""Project-level pages: home, health, readiness and the friendly error pages."""

import ipaddress

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView

from catalog.models import Category


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"categories": Category.objects.all()[:8]})


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database cannot fail it."""
    return JsonResponse({"status": "ok"})


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """The database answers and every migration is applied: safe to send traffic here."""
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
    return JsonResponse({"status": "ok", "database": "ok", "pending_migrations": 0})


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


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        # API clients get the API's error shape, even for paths the API does not have.
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the database may be what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
