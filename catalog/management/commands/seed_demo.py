"""`manage.py seed_demo [--providers N] [--seed S]`: demo accounts and scale data, see catalog.demo."""

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from catalog.demo.data import DEMO_PASSWORD, DEMO_USERS
from catalog.demo.write import Counts, demo_accounts_write, scale_numbers_present, scale_providers_write
from catalog.models import BusyDay, Category, Service, ServiceKeyword


class Command(BaseCommand):
    help = (
        "Create demo clients and providers with known passwords and services (idempotent) and print how to "
        "log in. With --providers N, also create N numbered providers with about three services each."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--providers",
            type=int,
            default=0,
            metavar="N",
            help="Also make sure numbered providers 1..N exist (provider00001@scale.gigsta.local, ...).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the numbered providers.")

    def handle(self, *args, providers: int, seed: int, **options):
        if providers < 0:
            raise CommandError("--providers must be 0 or more.")
        started = time.monotonic()
        self.seed_demo_set()
        if providers:
            self.seed_scale(providers=providers, seed=seed, started=started)

    def seed_demo_set(self) -> None:
        created_users, created_services = demo_accounts_write()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created_users} new account(s), {created_services} new service(s), "
                f"{Category.objects.count()} categories."
            )
        )
        self.stdout.write(f"Every demo account's password is: {DEMO_PASSWORD}")
        for email, display_name, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role.label:<9} {email:<28} {display_name}")

    def seed_scale(self, *, providers: int, seed: int, started: float) -> None:
        existing = scale_numbers_present()
        missing = [n for n in range(1, providers + 1) if n not in existing]
        counts = Counts()
        if missing:
            self.stdout.write(f"Creating {len(missing)} provider(s) of {providers} (seed {seed}) ...")
            counts = scale_providers_write(
                numbers=missing, seed=seed, on_chunk=lambda done: self._progress(done, len(missing), started)
            )
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data ready in {elapsed:.1f} s: {counts.providers} new provider(s), {counts.services} "
                f"service(s), {counts.keywords} keyword(s), {counts.busy_days} blocked day(s); "
                f"{len(existing) + counts.providers} numbered providers in the database."
            )
        )
        self.stdout.write(
            f"Totals: {User.objects.filter(role=Role.PROVIDER).count()} providers, "
            f"{Service.objects.count()} services, {ServiceKeyword.objects.count()} keywords, "
            f"{BusyDay.objects.count()} busy days. Numbered providers log in with {DEMO_PASSWORD}."
        )

    def _progress(self, done: int, total: int, started: float) -> None:
        bar = ("#" * (30 * done // total)).ljust(30, "-")
        self.stdout.write(
            f"\r  [{bar}] {done}/{total} providers ({100 * done / total:5.1f} %) {time.monotonic() - started:6.1f} s",
            ending="",
        )
        self.stdout.flush()
