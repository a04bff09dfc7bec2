"""The sandbox site WITHOUT ecm_ops: the baseline the edit-view and dashboard benchmarks
compare against (``bench/bench_edit_view.py``, ``bench/bench_dashboard.py`` run it in a separate
process with its own throwaway database).

Everything ecm_ops brings is gone: the app (its hooks, menu, panels, signal handlers, task
type and tables) and what only it needs (django-guardian and its authentication backend,
django-fsm). The page types stay, without the AI provenance panel (see
``sandbox_site/content/models.py``). The rest is ``sandbox_site.settings.test``.
"""

from .test import *  # noqa: F403
from .test import INSTALLED_APPS

ECM_OPS_ONLY = {"ecm_ops", "guardian", "django_fsm"}
INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in ECM_OPS_ONLY]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
from .test import MIDDLEWARE  # noqa: E402

MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("ecm_ops.")]
