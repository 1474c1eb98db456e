import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create or update a staff superuser from STAFF_EMAIL and STAFF_PASSWORD "
        "(and optionally STAFF_DISPLAY_NAME). Safe to run on every deploy."
    )

    def handle(self, *args, **options):
        email = os.environ.get("STAFF_EMAIL", "").strip().lower()
        password = os.environ.get("STAFF_PASSWORD", "")
        display_name = os.environ.get("STAFF_DISPLAY_NAME", "").strip() or "GigSta staff"
        missing = [name for name, value in (("STAFF_EMAIL", email), ("STAFF_PASSWORD", password)) if not value]
        if missing:
            raise CommandError(f"Set {' and '.join(missing)} in the environment.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("STAFF_PASSWORD is too weak: " + " ".join(exc.messages)) from None

        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            created = user is None
            if created:
                user = User.objects.create_superuser(email=email, password=password, display_name=display_name)
            else:
                user.is_staff = user.is_superuser = user.is_active = True
                user.set_password(password)
                user.save(update_fields=["is_staff", "is_superuser", "is_active", "password"])
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} staff user {user.email}"))
