"""
Settings for the archive, driven by the environment.

Local development needs no configuration: debug is on, the database is an
SQLite file beside the project. With DJANGO_DEBUG off the process refuses to
start unless a real secret key and the allowed hosts are given.
"""

import datetime
import hashlib
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in _TRUE


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (refused below when debug is off)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

# Django's deployment check asks for 5 distinct characters; a random key of 50 has about 30,
# and even a hex one has 16.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 10


def weak_secret_key(key: str) -> bool:
    """Too short, too few distinct characters, a repeated pattern, or a development key."""
    return (
        key.startswith("django-insecure")
        or len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_DISTINCT
        # A string that reappears inside itself shifted is a repetition of a shorter one.
        or key in (key + key)[1:-1]
    )


if not DEBUG:
    if weak_secret_key(SECRET_KEY):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY must be set to a random value of at least {SECRET_KEY_MIN_LENGTH} characters, "
            f"with at least {SECRET_KEY_MIN_DISTINCT} different ones and no repeated pattern, "
            "when DJANGO_DEBUG is off (python -c 'import secrets; print(secrets.token_urlsafe(64))' makes one)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "axes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_filters",
    "taggit",
    "simple_history",
    "register",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "archive.middleware.AllowedMethodsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "archive.middleware.DatabaseUnavailableMiddleware",
    "archive.routers.ReplicaReadsMiddleware",
    # Turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Last, so everything above treats a kept page as a fresh one.
    "articles.middleware.PublicPageCacheMiddleware",
]

ROOT_URLCONF = "archive.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "archive.wsgi.application"


def _database_from_url(url: str) -> dict:
    if not url:
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DJANGO_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    else:
        config = dj_database_url.parse(
            url, conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")), conn_health_checks=True
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers go on while one writer commits; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue on the busy timeout instead
        # of failing with "database is locked" half-way through a transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that asks the server only when the socket has news.
        config["ENGINE"] = "archive.postgresql"
        # Pages run short queries whose nested EXISTS the planner prices high: it would
        # compile them with JIT and start parallel workers for them, each costing far more
        # than running the query alone.
        config.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off -c max_parallel_workers_per_gather=0")
    return config


def _replicas_from_env() -> dict[str, dict]:
    """DATABASE_REPLICA_URL: read replicas of the primary, comma-separated: "replica", "replica_2", ..."""
    replicas = {}
    for n, url in enumerate(env_list("DATABASE_REPLICA_URL"), start=1):
        config = _database_from_url(url)
        # Tests run against one database: a replica there is the primary itself.
        config["TEST"] = {"MIRROR": "default"}
        replicas["replica" if n == 1 else f"replica_{n}"] = config
    return replicas


DATABASES = {"default": _database_from_url(os.environ.get("DATABASE_URL", "").strip()), **_replicas_from_env()}
# Public pages for anonymous readers read from a replica; writes, the admin and signed-in staff
# use the primary (archive.routers).
DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"] if len(DATABASES) > 1 else []

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

# Sign-in throttling (django-axes): the first backend refuses a locked account or address
# before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failures lock the username, from wherever they came, and the address, whatever names it
# tried; each lock lasts half an hour after the last failure, or until a publisher lifts it
# (docs/security.md).
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_SIGNIN_FAILURES", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("DJANGO_SIGNIN_LOCK_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "archive.signin.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Behind the proxy of docs/deploy.md the address is the last one it adds to X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "archive.signin.client_address"
ARCHIVE_TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "0"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Tags: "ISIS" and "isis" are one tag; Arabic names keep their letters in slugs.
TAGGIT_CASE_INSENSITIVE = True
TAGGIT_STRIP_UNICODE_WHEN_SLUGIFYING = False

ARCHIVE_PAGE_SIZE = int(os.environ.get("DJANGO_PAGE_SIZE", "20"))


def _cache_from_env() -> dict:
    """Local memory by default; a shared Redis when CACHE_URL is set (redis://host:port/db)."""
    url = os.environ.get("CACHE_URL", "").strip()
    database = DATABASES["default"]
    # Two archives sharing one Redis (a benchmark database beside the real one) must not share entries.
    prefix = (
        os.environ.get("DJANGO_CACHE_PREFIX")
        or "archive-"
        + hashlib.sha256(
            "|".join(str(database.get(k, "")) for k in ("ENGINE", "HOST", "PORT", "NAME")).encode()
        ).hexdigest()[:12]
    )
    if url:
        return {
            "BACKEND": "archive.redis_cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            # Passed to redis-py's connection pool: a Redis that is down or unreachable costs a
            # fraction of a second, and articles.cache then leaves it alone for a few seconds.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_PREFIX": prefix,
        "OPTIONS": {"MAX_ENTRIES": 3000},
    }


CACHES = {"default": _cache_from_env()}
# Counts and pages are cached per editorial version (articles.cache); this bounds how long one is kept.
ARCHIVE_CACHE_SECONDS = int(os.environ.get("DJANGO_CACHE_SECONDS", "3600"))
# Whole public pages for anonymous readers (articles.middleware); DJANGO_PAGE_CACHE=0 turns it off.
# Safe with per-process local memory too: a page is served only under the version the database holds.
ARCHIVE_PAGE_CACHE = env_bool("DJANGO_PAGE_CACHE", True)

# Everything a page needs is served from here: no inline script, no other origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Security headers that hold in every mode; the HTTPS ones only in production.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Every lockout is logged ("AXES: Locking out ..."), whatever the root logger's level.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Data for researchers: the JSON API, its schema, feeds and the sitemap.
INSTALLED_APPS += [
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
REST_FRAMEWORK = {
    # Readers only: no sessions or tokens, so nothing to authenticate and no write to allow.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_FILTER_BACKENDS": ["articles.api.backends.ArchiveFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "articles.api.backends.ArchivePagination",
    "PAGE_SIZE": ARCHIVE_PAGE_SIZE,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Libya reporting archive API",
    "DESCRIPTION": (
        "Read-only data of the archive: republished articles with their provenance and permission, "
        "the events they report, and the actors, places and tags they name. Only what readers may see "
        "is here; lists take the same filters as the pages of the site."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "register.models.ActorKind",
        "PlaceKindEnum": "register.models.PlaceKind",
        "DatePrecisionEnum": "register.models.DatePrecision",
    },
}
