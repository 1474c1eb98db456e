"""GigSta settings: one flat file, every value from the environment.

With no environment at all GigSta runs on embedded defaults: a SQLite file,
local media files, console email, a cache table in the database and manual payments.
`.env.example` lists every variable read here.
"""

import importlib.util
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_decimal(name: str, default: str, *, low: str, high: str) -> Decimal:
    value = os.environ.get(name) or default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if not Decimal(low) <= number <= Decimal(high):
        raise ImproperlyConfigured(f"{name} must be between {low} and {high}, got {value!r}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment "
            "(or DEBUG=1 for local development with a throwaway key)."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"

# The public address, used in emails and links that leave the site.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, got {SITE_URL!r}")
ALLOWED_HOSTS = list(dict.fromkeys(env_list("ALLOWED_HOSTS", f"{urlsplit(SITE_URL).hostname},127.0.0.1,localhost")))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "ninja",
    "django_prometheus",
    "accounts",
    "catalog",
    "bookings",
    "payments",
    "webhooks",
    "inbox",
    "calendars",
    "favourites",
    "django_tasks",
    "django_tasks_db",
    "gigsta",  # the project package: composes the apps (URLs, API, booking effects, timers)
]
if importlib.util.find_spec("django_migration_linter"):  # a development tool: `manage.py lintmigrations`
    INSTALLED_APPS.append("django_migration_linter")
# `make test` lints our migrations for changes old code could not run against (zero-downtime
# deploys run new migrations while old web processes still serve). Migrations written before the
# first production release are the baseline and are not linted.
MIGRATION_LINTER_OPTIONS = {
    "include_apps": ["accounts", "catalog", "bookings", "payments", "webhooks", "inbox"],
    "ignore_name": [
        "0001_initial",
        "0002_provider_rating",
        "0002_default_categories",
        "0003_services_and_availability",
        "0004_provider_photos",
    ],
}

MIDDLEWARE = [
    "gigsta.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gigsta.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "gigsta.idempotency.IdempotencyMiddleware",  # API POSTs with an Idempotency-Key
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "gigsta.urls"
# What each booking action causes besides its state change: one table (gigsta/effects.py, read
# through bookings/effects.py). Code, not configuration: like ROOT_URLCONF, not from the environment.
BOOKING_EFFECTS = "gigsta.effects.EFFECTS"
# And what a new message in a booking's thread causes (the same file).
BOOKING_MESSAGE_EFFECTS = "gigsta.effects.MESSAGE_EFFECTS"
# And what a reminder the timers send causes (its inbox lines and emails).
BOOKING_REMINDER_EFFECTS = "gigsta.effects.REMINDER_EFFECTS"
# The booking card's money, read from the payments ledger (bookings/selectors.py booking_card).
BOOKING_MONEY = "payments.selectors.booking_money"
WSGI_APPLICATION = "gigsta.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gigsta.context_processors.site",
                "inbox.context_processors.inbox",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite by default; DATABASE_URL (postgres://user:pass@host:5432/name) for PostgreSQL.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            # Persistent connections: a new PostgreSQL connection per request costs 6x.
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # Writers queue for the lock instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"),
            },
        }
    }
# Read replicas (PostgreSQL streaming replicas of DATABASE_URL), comma-separated URLs. Web requests
# read from them, everything else uses the primary; see gigsta/db_router.py and docs/deploy.md.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
# A replica further behind the primary than this is skipped (its reads go to the primary).
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 5)
# After a browser writes, its reads stay on the primary this long (read-your-writes).
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
# Each process measures its replicas' lag at most this often; a replica that does not answer
# within REPLICA_CONNECT_TIMEOUT seconds is skipped until the next measure.
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 3)
REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 2)
if DATABASE_REPLICA_URLS and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs DATABASE_URL: replicas copy a PostgreSQL primary.")
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
    _replica["OPTIONS"] = {**_replica.get("OPTIONS", {}), "connect_timeout": REPLICA_CONNECT_TIMEOUT}
    # Tests create no database on a replica: it reads the test database through the primary's settings.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
DATABASE_ROUTERS = ["gigsta.db_router.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
if DATABASE_REPLICA_URLS:  # read-your-writes: after a write, that browser reads from the primary
    MIDDLEWARE.insert(
        MIDDLEWARE.index("gigsta.middleware.RequestIdMiddleware") + 1, "gigsta.middleware.ReplicaPinMiddleware"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    # Rate-limit counters and the search cache's catalog version must be shared by every worker
    # and node: without Redis they live in a database table (made by migrate: gigsta/migrations).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gigsta_cache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Renderings cached under a key made of everything they show (the provider calendar): nothing to
# share or invalidate, so each process keeps its own, without a round trip.
# Up to 20,000 entries (search result cards are ~2 kB each): about 40 MB per process at most.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "gigsta-local",
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}

# Street-address look-up (Addressable: AU, NZ, SE); off unless a key is set.
ADDRESSABLE_API_KEY = env("ADDRESSABLE_API_KEY")
ADDRESSABLE_API_BASE = env("ADDRESSABLE_API_BASE", "https://api.addressable.dev")
ADDRESSABLE_COUNTRIES = [c.upper() for c in env_list("ADDRESSABLE_COUNTRIES", "AU,NZ")]

# Seconds a search answer may be served from the cache (0 turns the cache off).
SEARCH_CACHE_SECONDS = env_int("SEARCH_CACHE_SECONDS", 60)

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_FORMS = {
    "login": "accounts.auth_forms.LoginForm",
    "change_password": "accounts.auth_forms.ChangePasswordForm",
    "reset_password_from_key": "accounts.auth_forms.ResetPasswordKeyForm",
}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.adapter.user_display"
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
if ACCOUNT_EMAIL_VERIFICATION not in {"none", "optional", "mandatory"}:
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be one of none, optional, mandatory.")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so they are visible and tunable in one place.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[GigSta] "

# --- Email --------------------------------------------------------------------
# Every email is a task (gigsta/mail.py): sending enqueues it, with the change that causes it,
# and the worker delivers it through EMAIL_BACKEND (the environment variable), retrying.
EMAIL_BACKEND = "gigsta.mail.TaskEmailBackend"
EMAIL_DELIVERY_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Seconds the worker waits on the mail server before the attempt fails (and is retried).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "GigSta <hello@gigsta.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the parties reach GigSta's staff by email: pages and emails name it where GigSta cannot
# act for them (a refund a provider owes after a dispute about a bank-transfer booking).
SUPPORT_EMAIL = env("SUPPORT_EMAIL", "support@gigsta.local")

# --- Partner webhooks ---------------------------------------------------------------
# Signing secrets are derived from this key and never stored; changing it changes every
# subscription's secret (partners then make their webhooks again). Default: SECRET_KEY.
WEBHOOK_SIGNING_KEY = env("WEBHOOK_SIGNING_KEY") or SECRET_KEY
# Deliveries only to public addresses (never loopback or private networks) unless this is on;
# on by default with DEBUG, for a receiver on your own machine.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", DEBUG)

# --- Calendar imports (busy times from a provider's own .ics URL) -----------------
# Fetch from loopback and private addresses too: only for tests and a feed on your own machine.
CALENDAR_IMPORT_ALLOW_PRIVATE = env_bool("CALENDAR_IMPORT_ALLOW_PRIVATE", False)
# What one fetch may take: seconds to connect, seconds in all, bytes of calendar.
CALENDAR_IMPORT_CONNECT_TIMEOUT = env_int("CALENDAR_IMPORT_CONNECT_TIMEOUT", 5)
CALENDAR_IMPORT_TIMEOUT = env_int("CALENDAR_IMPORT_TIMEOUT", 10)
CALENDAR_IMPORT_MAX_BYTES = env_int("CALENDAR_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
# Minutes between two fetches of the same calendar (run_timers queues them).
CALENDAR_IMPORT_EVERY_MINUTES = env_int("CALENDAR_IMPORT_EVERY_MINUTES", 15)

# --- API ----------------------------------------------------------------------
API_AUTH_THROTTLE = env("API_AUTH_THROTTLE", "10/m")
# Every other API call, per client address (anonymous) or per account (signed in).
API_ANON_THROTTLE = env("API_ANON_THROTTLE", "300/m")
API_USER_THROTTLE = env("API_USER_THROTTLE", "1200/m")
# How many reverse proxies in front of GigSta append to X-Forwarded-For (0: trust REMOTE_ADDR only).
NINJA_NUM_PROXIES = env_int("TRUSTED_PROXY_COUNT", 0)
# allauth's sign-in rate limits key on the same client address.
ALLAUTH_TRUSTED_PROXY_COUNT = NINJA_NUM_PROXIES
NINJA_PAGINATION_PER_PAGE = 20
NINJA_MAX_PER_PAGE_SIZE = 100

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    # S3-compatible object storage (S3, Cloudflare R2) for uploaded media.
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "access_key": env("AWS_ACCESS_KEY_ID"),
            "secret_key": env("AWS_SECRET_ACCESS_KEY"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
        },
    }
    # Files attached to booking messages: private objects (in a bucket of their own when
    # AWS_PRIVATE_BUCKET_NAME is set), read by GigSta and served only to the booking's parties.
    _attachment_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_media_storage["OPTIONS"],
            "bucket_name": env("AWS_PRIVATE_BUCKET_NAME") or AWS_STORAGE_BUCKET_NAME,
            "location": "private",
            "default_acl": "private",
            "custom_domain": None,
            "querystring_auth": True,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    # Files attached to booking messages: a folder outside MEDIA_ROOT, which no URL serves.
    _attachment_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media"))},
    }
STORAGES = {
    "default": _media_storage,
    "attachments": _attachment_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Background tasks -------------------------------------------------------------
# Django's tasks API (the django-tasks backport) on a database queue: SQLite and PostgreSQL
# alike, nothing else to run. Workers: `manage.py db_worker` (make run starts one; compose runs
# the `worker` service); on PostgreSQL several share the queue. See gigsta/tasks.py.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A task still marked running this long after it started lost its worker: run_timers queues it again.
TASK_STALE_AFTER_MINUTES = env_int("TASK_STALE_AFTER_MINUTES", 15)

# --- Bookings (timers: manage.py run_timers, every minute) ----------------------
BOOKING_ANSWER_WITHIN_HOURS = env_int("BOOKING_ANSWER_WITHIN_HOURS", 48)
BOOKING_PAY_WITHIN_HOURS = env_int("BOOKING_PAY_WITHIN_HOURS", 72)
BOOKING_OFFER_OPEN_HOURS = env_int("BOOKING_OFFER_OPEN_HOURS", 72)
BOOKING_AUTO_COMPLETE_DAYS = env_int("BOOKING_AUTO_COMPLETE_DAYS", 3)
# A gig may be moved (a new time proposed by one party, accepted by the other) to a time at least this far ahead.
BOOKING_RESCHEDULE_NOTICE_HOURS = env_int("BOOKING_RESCHEDULE_NOTICE_HOURS", 24)

# --- Messages ------------------------------------------------------------------
# What the files attached to one message may weigh together (PDF, JPEG, PNG, WebP; at most 4).
# Keep it under the proxy's 10 MB limit on a request (deploy/nginx/gigsta.conf).
MESSAGE_FILES_MAX_MB = env_int("MESSAGE_FILES_MAX_MB", 8)

# --- Payments -----------------------------------------------------------------
# The platform's share of every booking, taken from the provider's payout (snapshotted per booking).
PLATFORM_FEE_PERCENT = env_decimal("PLATFORM_FEE_PERCENT", "10", low="0", high="50")
# Deposit + balance: still unpaid this many days before the gig, the provider may cancel and
# keep the deposit (never earlier than the service's balance due date).
BALANCE_CANCEL_DAYS = env_int("BALANCE_CANCEL_DAYS", 7)
# Card payments through Stripe Checkout when both are set; otherwise manual payments only.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
# The signing secret of the Connect webhook endpoint (events about providers' accounts), when
# Stripe gives it one of its own; the same URL takes both.
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", "EUR").upper()

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (gigsta.middleware): no inline scripts or styles on our pages.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; form-action 'self' https:; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
# The admin and the interactive API docs ship inline code of their own.
CSP_RELAXED_PATHS = ("/admin/", "/api/docs")
CSP_RELAXED = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# /metrics (Prometheus) answers only these client networks, and never through the proxy.
METRICS_ALLOWED_NETWORKS = env_list(
    "METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
)

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Logging ------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}")
# json: one JSON object a line with the request id (production); plain: readable (development).
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "gigsta.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "gigsta.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Replace Django's own console handler so each record is written once.
    "loggers": {"django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}},
}

# --- Staff bootstrap (manage.py create_staff_user) ----------------------------
# Read by the command itself: STAFF_EMAIL, STAFF_PASSWORD, STAFF_DISPLAY_NAME.
