from django.db import models


class IdempotentAnswer(models.Model):
    """The first answer to an API POST sent with an Idempotency-Key, kept 24 hours per caller
    (gigsta/idempotency.py). `status` is empty while that first request still runs."""

    caller = models.CharField(max_length=40)  # "user:<pk>" or "anonymous"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # of the method, path and body
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)  # encrypted with a key only the same request can derive
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="idempotent_answer_once_per_key")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}: {self.status or 'running'}"
