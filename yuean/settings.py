"""Settings for 越安家, read from the environment.

One file for every environment. With nothing set, the portal runs as the embedded demo: DEBUG on, SQLite,
tasks in-process, the local-memory cache and console SMS/e-mail. Production sets DJANGO_DEBUG=false and then
must provide the secret key, the personal-data keys and the hosts: a missing one fails at start-up rather
than silently falling back to a demo value.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Demo-only fallbacks. They are refused when DEBUG is off (see _required below).
_DEMO_SECRET_KEY = "demo-only-secret-key-do-not-use-in-production-2f0b4c1e9d8a7f6e5d4c3b2a1"  # noqa: S105
_DEMO_PII_KEY = "ZGVtby1vbmx5LXBpaS1rZXktZG8tbm90LXVzZS0xMjM="  # base64 of 32 demo bytes
_DEMO_PII_HASH_KEY = "demo-only-pii-hash-key-do-not-use-in-production"


def _required(name: str, demo_default: str) -> str:
    """An environment value that production must set; the demo falls back to a published placeholder."""
    if DEBUG:
        return env.str(name, default=demo_default)
    value = env.str(name).strip()  # raises ImproperlyConfigured when missing
    if not value:
        raise environ.ImproperlyConfigured(f"{name} is empty; production needs a real value.")
    if value == demo_default:
        raise environ.ImproperlyConfigured(f"{name} still holds the demo value; set a real one.")
    return value


SECRET_KEY = _required("DJANGO_SECRET_KEY", _DEMO_SECRET_KEY)
# Old secret keys still accepted for sessions and signed tokens while a new one rolls out.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
if DEBUG:
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Personal data (ARCHITECTURE.md "Personal data"). YUEAN_PII_KEYS is a comma-separated list of Fernet keys:
# the first encrypts, all decrypt, so a key is rotated by putting a new one first and running
# `manage.py pii_rotate_keys`. The hash key makes the keyed hash used for uniqueness and exact search.
PII_KEYS = [k.strip() for k in _required("YUEAN_PII_KEYS", _DEMO_PII_KEY).split(",") if k.strip()]
PII_HASH_KEY = _required("YUEAN_PII_HASH_KEY", _DEMO_PII_HASH_KEY)
try:  # fail at start-up, not at the first encryption, when a key is malformed
    [Fernet(key) for key in PII_KEYS] or Fernet("")
except (ValueError, TypeError) as exc:
    raise environ.ImproperlyConfigured("YUEAN_PII_KEYS must hold one or more Fernet keys.") from exc
if not DEBUG and len(PII_HASH_KEY) < 32:
    raise environ.ImproperlyConfigured("YUEAN_PII_HASH_KEY must be at least 32 characters.")

INSTALLED_APPS = [
    "kernel.admin_site.ConsoleAdminConfig",  # django.contrib.admin, with moved models keeping their address
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "accounts",
    "residents",
    "notifications",
    "cases",
    "permits",
    "housing",
    "points",
    "education",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
]

if not DEBUG:
    # Production serves the collected, compressed static files itself; the demo lets runserver serve them.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "yuean.urls"
WSGI_APPLICATION = "yuean.wsgi.application"

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
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Production keeps connections for a minute (a new one costs 4–10 ms a request, docs/PERFORMANCE.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with REDIS_URL the broker is Redis; without it, the embedded default runs tasks in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# The schedule, declared in code. The outbox sweep hands due deliveries to workers (so a request never
# talks to the broker); the reminder sweeps run once a day.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 10.0},
    "reminders-daily": {"task": "notifications.tasks.reminders_run", "schedule": crontab(hour=7, minute=0)},
    # Re-queues spreadsheet imports whose worker died, and purges refused rows a week after a job ended.
    "housing-import-jobs-sweep": {"task": "housing.tasks.import_jobs_sweep", "schedule": 300.0},
    # School offers left unanswered after their round's confirmation window lapse (and the family is told).
    "education-offers-lapse": {
        "task": "education.tasks.enrolment_offers_lapse",
        "schedule": crontab(hour=0, minute=30),
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DEBUG:
    PASSWORD_HASHERS = env.list(
        "DJANGO_PASSWORD_HASHERS",
        default=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
    )

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "residents:mine"
LOGOUT_REDIRECT_URL = "home"

# allauth: sign up and log in by mobile number (with an SMS code) or by e-mail address.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
# Phone or e-mail, at least one (accounts.forms.SignupContactForm), so neither is "required" here and
# allauth's cross-check warning W001 is silenced on purpose.
ACCOUNT_SIGNUP_FIELDS = ["phone", "email", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupContactForm"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# Greet people by their name or masked number, never by the generated username.
ACCOUNT_USER_DISPLAY = "accounts.display.user_display"
SILENCED_SYSTEM_CHECKS = ["account.W001"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Six digits: what people expect to read in an SMS and type on a phone keypad.
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# How many reverse proxies stand in front of gunicorn (1 with docker-compose behind nginx): the client's
# address for rate limits and the audit trail is then read from X-Forwarded-For (accounts.network).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("YUEAN_TRUSTED_PROXY_COUNT", default=0)
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_SERVE_SPECIFICATION = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "越安家"
# Staff must set up TOTP before they may use the console. The demo leaves it optional so it can be tried
# at once; production turns it on (it defaults to on whenever DEBUG is off).
STAFF_MFA_REQUIRED = env.bool("YUEAN_STAFF_MFA_REQUIRED", default=not DEBUG)

# SMS: a dotted path to a backend class (see notifications.channels). The console backend prints messages.
SMS_BACKEND = env.str("YUEAN_SMS_BACKEND", default="notifications.channels.ConsoleSmsBackend")
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if not DEBUG and "console" in EMAIL_BACKEND:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="越安家 <noreply@yuean.example.cn>")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded documents are private: they live outside the static/public tree and are only served through
# permission-checked views, never by URL. With YUEAN_DOCUMENTS_BUCKET set they go to a private bucket of
# S3-compatible object storage instead (several web servers then share them).
MEDIA_ROOT = env.path("YUEAN_PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private_media")
MEDIA_URL = None
DOCUMENTS_BUCKET = env.str("YUEAN_DOCUMENTS_BUCKET", default="")
if DOCUMENTS_BUCKET:
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": DOCUMENTS_BUCKET,
            "endpoint_url": env.str("YUEAN_DOCUMENTS_ENDPOINT_URL", default=None),
            "access_key": env.str("YUEAN_DOCUMENTS_ACCESS_KEY", default=None),
            "secret_key": env.str("YUEAN_DOCUMENTS_SECRET_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    # No location: it follows MEDIA_ROOT (tests point that at a temporary folder).
    STORAGES["documents"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
DOCUMENT_MAX_BYTES = env.int("YUEAN_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kernel.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kernel.api.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "kernel.api.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "越安家 API",
    "DESCRIPTION": "Residents, residence registration and permits, cases, rental properties and tenancies, "
    "notifications and the signed-in user. Sign in through /_allauth/app/v1/ and send the session token in the "
    "X-Session-Token header.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status": the case's keeps its own name, the others are named after their model.
    # Pinned so that a second app's choices of the same field name never rename an existing enum.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.choices.CaseStatus",
        "SourceEnum": "housing.choices.TenancySource",
        "IndicatorSourceEnum": "points.choices.IndicatorSource",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_id_numbers": {"()": "residents.pii.IdNumberMaskingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_id_numbers"]},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
