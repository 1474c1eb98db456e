from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Partner webhooks"

    def ready(self) -> None:
        checks.register(check_signing_key, checks.Tags.security, deploy=True)


def check_signing_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy`: webhook secrets should not follow SECRET_KEY, or rotating it
    silently changes every partner's secret."""
    if settings.WEBHOOK_SIGNING_KEY == settings.SECRET_KEY:
        return [
            checks.Warning(
                "WEBHOOK_SIGNING_KEY is not set: webhook secrets are derived from SECRET_KEY.",
                hint="Set WEBHOOK_SIGNING_KEY to its own random value before partners subscribe.",
                id="webhooks.W001",
            )
        ]
    return []
