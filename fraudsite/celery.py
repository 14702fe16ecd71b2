"""The Celery application; tasks live in ``transactions_app.tasks``.

Start a worker with ``celery -A fraudsite worker``. The broker is Redis,
configured through ``REDIS_URL`` (see ``CELERY_*`` in the settings).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fraudsite.settings")

app = Celery("fraudsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
