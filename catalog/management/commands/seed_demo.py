from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ProviderProfile, Role, User
from catalog.models import Category

DEMO_PASSWORD = "gigsta-demo-2026"

DEMO_USERS = [
    # email, display name, role, city, bio
    ("client@demo.gigsta.local", "Casey Client", Role.CLIENT, "", ""),
    ("venue@demo.gigsta.local", "The Blue Door Venue", Role.CLIENT, "", ""),
    (
        "dj@demo.gigsta.local",
        "DJ Nova",
        Role.PROVIDER,
        "Berlin",
        "House and disco sets for weddings, launches and late nights. Own sound system and lights.",
    ),
    (
        "band@demo.gigsta.local",
        "The Night Owls",
        Role.PROVIDER,
        "Hamburg",
        "Five-piece soul and funk band. First dance to last song, we keep the floor full.",
    ),
    (
        "photo@demo.gigsta.local",
        "Mira Lens Photography",
        Role.PROVIDER,
        "Munich",
        "Documentary wedding and event photography. Edited gallery within two weeks.",
    ),
]


class Command(BaseCommand):
    help = "Create demo clients and providers with known passwords (idempotent) and print how to log in."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for email, display_name, role, city, bio in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=DEMO_PASSWORD, display_name=display_name, role=role
                )
                created += 1
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
            if role == Role.PROVIDER:
                ProviderProfile.objects.update_or_create(user=user, defaults={"city": city, "bio": bio})

        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {created} new account(s), {Category.objects.count()} categories.")
        )
        self.stdout.write(f"Every demo account's password is: {DEMO_PASSWORD}")
        for email, display_name, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role.label:<9} {email:<28} {display_name}")
