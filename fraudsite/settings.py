"""Settings for the fraud detection platform.

Every value that differs between machines comes from the environment
through ``fraudsite.env``; the defaults make ``make run`` work on a laptop
(SQLite, Kafka, Redis on loopback). See the README's Configuration table.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

from .env import (
    SettingError,
    env_bool,
    env_choice,
    env_database_url,
    env_float,
    env_host_ports,
    env_http_url,
    env_int,
    env_list,
    env_port,
    env_redis_url,
    env_str,
    env_topic,
    require_distinct,
)
from .kafka_security import kafka_security_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
# Outside debug mode the key must come from the environment; the fallback
# exists only so that a local debug run needs no configuration.
SECRET_KEY = env_str("SECRET_KEY", "insecure-local-debug-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS and browser protections: on unless DJANGO_DEBUG, so that a production
# deployment cannot forget them (``manage.py check --deploy`` is clean).
# Behind reverse proxies that terminate TLS, PROXY_COUNT says how many there
# are: Django then believes their X-Forwarded-Proto, and the client address
# comes from X-Forwarded-For (fraudsite/client_ip.py). With 0 (the default)
# both headers are ignored, as a client could forge them.
PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PROXY_COUNT else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe the health check over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the domain and every subdomain to HTTPS in browsers for
# months and is hard to undo, so it is the domain owner's opt-in; without it
# Django's reminder (security.W021) is silenced on purpose.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login throttling (django-axes, attempts stored in the database): after
# AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is refused for AXES_COOLOFF_MINUTES (0: until ``axes_reset``). The
# pair, not the address alone: an attacker elsewhere cannot lock a user out,
# nor can colleagues behind one NAT lock out each other.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=0)
AXES_COOLOFF_TIME = (
    timedelta(minutes=AXES_COOLOFF_MINUTES) if AXES_COOLOFF_MINUTES > 0 else None
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "fraudsite.client_ip.client_ip"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "transactions_app",
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
    # Last, as django-axes requires: it turns a refused login into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fraudsite.urls"

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

ASGI_APPLICATION = "fraudsite.asgi.application"

DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
DATABASES = {
    "default": env_database_url(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=DATABASE_CONN_MAX_AGE,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation." + name}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves from the app folders too, so no collectstatic is needed
# to run from a checkout; the Docker image runs collectstatic anyway.
WHITENOISE_USE_FINDERS = True

REDIS_URL = env_redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")
# How long rundetector waits for Redis to answer before giving up.
REDIS_STARTUP_TIMEOUT = env_float("REDIS_STARTUP_TIMEOUT", 30.0, above=0)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}

# Kafka: the broker, how every client authenticates to it, the topic names
# kept from the original tutorial app, and the producer's rate.
KAFKA_BOOTSTRAP_SERVERS = env_host_ports("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
KAFKA_SECURITY = kafka_security_from_env()
# How long the commands wait for a first answer from Kafka before giving up.
KAFKA_STARTUP_TIMEOUT = env_float("KAFKA_STARTUP_TIMEOUT", 30.0, above=0)
TRANSACTIONS_TOPIC = env_topic("TRANSACTIONS_TOPIC", "queuing.transactions")
LEGIT_TOPIC = env_topic("LEGIT_TOPIC", "queuing.legit")
FRAUD_TOPIC = env_topic("FRAUD_TOPIC", "queuing.fraud")
DEADLETTER_TOPIC = env_topic("DEADLETTER_TOPIC", "queuing.deadletter")
# Where detectors tell each other the payments they recorded, so that every
# receiver's state sees every partition (see streaming/receivers.py). By
# default the input topic's name and ".receivers", cut to fit Kafka's 249.
RECEIVERS_TOPIC = env_topic(
    "RECEIVERS_TOPIC", f"{TRANSACTIONS_TOPIC[: 249 - len('.receivers')]}.receivers"
)
DETECTION_SHARE_RECEIVERS = env_bool("DETECTION_SHARE_RECEIVERS", True)
require_distinct(
    {
        "TRANSACTIONS_TOPIC": TRANSACTIONS_TOPIC,
        "LEGIT_TOPIC": LEGIT_TOPIC,
        "FRAUD_TOPIC": FRAUD_TOPIC,
        "DEADLETTER_TOPIC": DEADLETTER_TOPIC,
        "RECEIVERS_TOPIC": RECEIVERS_TOPIC,
    }
)
TRANSACTIONS_TOPIC_PARTITIONS = env_int("TRANSACTIONS_TOPIC_PARTITIONS", 3, minimum=1)
# Replicas of each of the platform's topics (``createtopics``), and how many
# must hold a write before it is acknowledged (producers send with
# acks=all): 3 and 2 on three brokers (``KAFKA_NODES=3`` locally), so one
# broker may fail with nothing lost; 1 and 1 on a single broker.
KAFKA_REPLICATION_FACTOR = env_int("KAFKA_REPLICATION_FACTOR", 1, minimum=1)
KAFKA_MIN_INSYNC_REPLICAS = env_int(
    "KAFKA_MIN_INSYNC_REPLICAS",
    max(1, KAFKA_REPLICATION_FACTOR - 1),
    minimum=1,
    maximum=KAFKA_REPLICATION_FACTOR,
    why="at most KAFKA_REPLICATION_FACTOR",
)
TRANSACTIONS_PER_SECOND = env_float("TRANSACTIONS_PER_SECOND", 2.0, above=0)
DETECTOR_GROUP_ID = env_str("DETECTOR_GROUP_ID", "fraud-detector")
# librdkafka's consume() refuses more than 1,000,000 messages at once; far
# below that, one batch is already one large database transaction.
DETECTOR_BATCH_SIZE = env_int("DETECTOR_BATCH_SIZE", 5000, minimum=1, maximum=100_000)
DETECTOR_INSTANCE_ID = env_str("DETECTOR_INSTANCE_ID", "")
# Results, dead letters and offsets of a batch in one Kafka transaction
# (exactly-once for read_committed readers); false, the default for now,
# for at-least-once output (see the README, Guarantees: why not yet).
DETECTOR_EXACTLY_ONCE = env_bool("DETECTOR_EXACTLY_ONCE", False)
DETECTOR_METRICS_PORT = env_port("DETECTOR_METRICS_PORT", 0, zero_is_off=True)
DETECTOR_METRICS_ADDRESS = env_str("DETECTOR_METRICS_ADDRESS", "127.0.0.1")
# The web app's /metrics answers staff sessions, or this bearer token.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# Alerts: one e-mail per transaction classified as fraud, sent by a Celery
# task, to these addresses (none configured means no alert e-mails).
ALERT_EMAILS = env_list("ALERT_EMAILS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "fraud-detector@localhost")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_port("EMAIL_PORT", 25)

# Alerts can also go to a webhook: a JSON POST signed with HMAC-SHA256
# (see transactions_app/alerts/webhook.py), retried with exponential backoff
# (ALERT_WEBHOOK_RETRY_SECONDS doubling) until ALERT_WEBHOOK_ATTEMPTS
# attempts have failed. The timeout bounds every connect and read.
ALERT_WEBHOOK_URL = env_http_url("ALERT_WEBHOOK_URL")
ALERT_WEBHOOK_SECRET = env_str("ALERT_WEBHOOK_SECRET", "")
ALERT_WEBHOOK_TIMEOUT = env_float("ALERT_WEBHOOK_TIMEOUT", 5.0, above=0)
ALERT_WEBHOOK_ATTEMPTS = env_int("ALERT_WEBHOOK_ATTEMPTS", 6, minimum=1)
ALERT_WEBHOOK_RETRY_SECONDS = env_float("ALERT_WEBHOOK_RETRY_SECONDS", 10.0, above=0)
# Every fraud alert is an outbox row (AlertDelivery) written with its batch.
# An attempt holds its row for ALERT_LEASE_SECONDS (longer than any send can
# take); a lease that runs out means the worker died and the alert is sent
# again. Every ALERT_DISPATCH_SECONDS beat queues the rows that are due.
ALERT_DISPATCH_SECONDS = env_float("ALERT_DISPATCH_SECONDS", 10.0, above=0)
ALERT_LEASE_SECONDS = env_float(
    "ALERT_LEASE_SECONDS",
    120.0,
    above=ALERT_WEBHOOK_TIMEOUT,
    why="longer than ALERT_WEBHOOK_TIMEOUT",
)
if ALERT_WEBHOOK_URL and not ALERT_WEBHOOK_SECRET:
    raise SettingError(
        "The environment variable ALERT_WEBHOOK_SECRET is required when "
        "ALERT_WEBHOOK_URL is set (it signs every request)."
    )

# Periodic work (celery beat): flagged cases still open after
# REVIEW_SLA_HOURS are escalated; legit transactions nobody reviewed are
# deleted RETENTION_DAYS after their event time.
REVIEW_SLA_HOURS = env_float("REVIEW_SLA_HOURS", 24.0, above=0)
RETENTION_DAYS = env_int("RETENTION_DAYS", 90, minimum=1)
# The typology scan (laundering shapes over the stored payments) runs daily
# over the last TYPOLOGY_SCAN_DAYS of event time.
TYPOLOGY_SCAN_DAYS = env_int("TYPOLOGY_SCAN_DAYS", 30, minimum=1, maximum=366)

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-cases": {
        "task": "transactions_app.tasks.escalate_overdue_cases",
        "schedule": 15 * 60.0,
    },
    "dispatch-alerts": {
        "task": "transactions_app.alert_tasks.dispatch_alerts",
        "schedule": ALERT_DISPATCH_SECONDS,
    },
    "check-model-drift": {
        "task": "transactions_app.tasks.check_model_drift",
        "schedule": 60 * 60.0,
    },
    "scan-typologies": {
        "task": "transactions_app.tasks.scan_typologies",
        "schedule": crontab(hour=2, minute=30),
    },
    "count-rule-fires-of-closed-days": {
        "task": "transactions_app.tasks.count_rule_fires",
        "schedule": 60 * 60.0,
    },
    "purge-old-legit-transactions": {
        "task": "transactions_app.tasks.purge_old_transactions",
        "schedule": crontab(hour=3, minute=30),
    },
}

LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOG_LEVEL = env_choice(
    "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "fraudsite.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes announces itself at every start; lockouts are warnings.
        "axes.apps": {"level": "WARNING"},
    },
}

# Detection: score bands, four-eyes approval of rule changes, how often a
# running detector checks for rule changes, and how much history it
# restores for partitions it is assigned.
# The fraud score goes up to the largest score the table stores.
DETECTION_FRAUD_SCORE = env_int(
    "DETECTION_FRAUD_SCORE", 100, minimum=1, maximum=2_147_483_647
)
DETECTION_REVIEW_SCORE = env_int(
    "DETECTION_REVIEW_SCORE",
    50,
    minimum=1,
    maximum=DETECTION_FRAUD_SCORE,
    why="at most DETECTION_FRAUD_SCORE",
)
RULES_FOUR_EYES = env_bool("RULES_FOUR_EYES", True)
# The population stability index of the learned score's probability
# against its training window at which the drift check alerts.
LEARNED_DRIFT_ALERT_PSI = env_float(
    "LEARNED_DRIFT_ALERT_PSI", 0.25, above=0, maximum=100, why="a PSI above 0"
)
RULES_RELOAD_SECONDS = env_float("RULES_RELOAD_SECONDS", 2.0, above=0)
DETECTION_RESTORE_SECONDS = env_float("DETECTION_RESTORE_SECONDS", 86400.0, minimum=0)
# How many days before the restored transactions the accounts' baselines
# (amounts, hours, age, counts, receivers paid) are read back from; 0: none.
DETECTION_BASELINE_DAYS = env_float(
    "DETECTION_BASELINE_DAYS", 90.0, minimum=0, maximum=3650, why="at most ten years"
)
# How far an event time may lie ahead of, or behind, both the message's
# Kafka time and the detector's clock (a replay of older history needs a
# larger EVENT_TIME_MAX_BEHIND_SECONDS; a live stream can use smaller ones,
# which leave a writer less room to spread its events out of the windows).
EVENT_TIME_MAX_AHEAD_SECONDS = env_float(
    "EVENT_TIME_MAX_AHEAD_SECONDS",
    7 * 86400.0,
    above=0,
    maximum=3650 * 86400,
    why="at most ten years",
)
EVENT_TIME_MAX_BEHIND_SECONDS = env_float(
    "EVENT_TIME_MAX_BEHIND_SECONDS",
    366 * 86400.0,
    above=0,
    maximum=3650 * 86400,
    why="at most ten years",
)

# Queuing a task must never hold up the detector for long when Redis is
# down: a few quick retries, then the error is logged and the stream goes on.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
