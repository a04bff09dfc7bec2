"""Production-like sandbox settings: what a real deployment of a site using ecm_ops sets on top
of the sandbox's base settings. Use them with PostgreSQL and Redis and a WSGI server::

    DJANGO_SETTINGS_MODULE=sandbox_site.settings.production SECRET_KEY=... \\
    DATABASE_URL=postgres://... REDIS_URL=redis://... gunicorn -w 4 sandbox_site.wsgi

Persistent database connections (``CONN_MAX_AGE``): each web process keeps its PostgreSQL
connection for this many seconds instead of opening one per request (a connection costs a
PostgreSQL backend process and a few milliseconds per request; the findings poll the editor
makes every few seconds is otherwise mostly connection set-up). ``CONN_HEALTH_CHECKS`` drops a
connection the server closed before it is used. RQ work horses are forked per job and exit
after it, so for them this changes nothing; the worker's parent keeps its connection. Size
PostgreSQL's ``max_connections`` for web processes x threads + workers.
"""

import os

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]  # required: no default in production
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
