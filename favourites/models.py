from django.conf import settings
from django.db import models
from django.db.models import Q


class Favourite(models.Model):
    """A service or a provider a client saved to come back to, or to ask together with others
    (favourites.services.favourites_request)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False, provider__isnull=True)
                | Q(service__isnull=True, provider__isnull=False),
                name="favourite_service_or_provider",
            ),
            models.UniqueConstraint(fields=["user", "service"], name="favourite_service_once"),
            models.UniqueConstraint(fields=["user", "provider"], name="favourite_provider_once"),
        ]

    def __str__(self) -> str:
        saved = f"service {self.service_id}" if self.service_id else f"provider {self.provider_id}"
        return f"{self.user_id} saved {saved}"
