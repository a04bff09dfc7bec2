"""Settings of the web server and workers ``bench_load.py`` starts: the sandbox's production
settings, with the screening debounce the phase asks for (``ECM_OPS_LOAD_DEBOUNCE``)."""

import os

from sandbox_site.settings.production import *  # noqa: F403
from sandbox_site.settings.production import ECM_OPS

ECM_OPS = {**ECM_OPS, "SCREEN_DEBOUNCE_SECONDS": int(os.environ["ECM_OPS_LOAD_DEBOUNCE"])}

# The bench's editors are created by the bench process on the test settings (MD5 hashes, for
# speed); the server must be able to check those passwords too. Bench only.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
