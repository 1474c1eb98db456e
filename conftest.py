"""The fixed cast every test can use: a client, a provider, a stranger and a staff user."""

import pytest
from django.core.cache import cache, caches

from accounts.models import Role, User
from accounts.tests.factories import make_user


@pytest.fixture(scope="session")
def attachments_dir(tmp_path_factory):
    """Where message attachments go in tests (settings.STORAGES["attachments"])."""
    return tmp_path_factory.mktemp("attachments")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    """Where uploaded photos go in tests: never the checkout's media/ folder."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings, attachments_dir, media_dir):
    # Argon2 is the production hasher (asserted in gigsta/tests/test_settings.py); tests use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(media_dir)
    # Pages render without a collectstatic run; the manifest storage is checked in the stack run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(attachments_dir)},
        },
    }
    if settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
        # Without Redis production shares counters through a database table (asserted in
        # gigsta/tests/test_settings.py and test_shared_cache.py); one test process shares its
        # memory as well, and query counts then measure the page, not the cache.
        settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()  # rate-limit counters must not leak between tests
    caches["local"].clear()  # nor renderings and categories a test's writes have changed
    yield
    cache.clear()
    caches["local"].clear()


@pytest.fixture
def client_user(db) -> User:
    return make_user("carla@example.com", "Carla Client")


@pytest.fixture
def provider(db) -> User:
    return make_user("pete@example.com", "Pete Provider", role=Role.PROVIDER)


@pytest.fixture
def stranger(db) -> User:
    return make_user("sam@example.com", "Sam Stranger")


@pytest.fixture
def staff_user(db) -> User:
    return make_user("staff@example.com", "Stella Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def card_terms(settings, provider):
    """Card payments on (Stripe keys set; nothing here talks to Stripe) and the cast's provider
    able to take them: GigSta can pay them out (payments.PayoutAccount with payouts on), so
    their new bookings are card bookings (bookings.terms.card_payments_on)."""
    from payments.models import PayoutAccount

    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    PayoutAccount.objects.create(provider=provider, stripe_account_id="acct_test_cast", status="payouts_on")
