"""The Celery application. Without REDIS_URL, tasks run in-process (see settings.CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yuean.settings")

app = Celery("yuean")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
