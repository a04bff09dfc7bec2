"""The README's installation path, verbatim, in a fresh ``wagtail start`` project: the settings
block and the output schema are extracted from README.md, appended / used literally, then
``migrate``, ``check``, the prompt template made usable as step 4 says (the README's
evaluation suite imported, run, promoted by a second admin) and one page from brief to
published (tests/fresh_site_driver.py) — once without Redis (inline jobs) and, when Redis is
available, with ``REDIS_URL`` set (the settings then configure RQ; the driver's jobs, the
evaluation run among them, are run by a burst worker)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def readme_block(marker: str, lang: str) -> str:
    """The fenced block after ``<!-- marker: … -->``, dedented (it may sit in a list item)."""
    text = (ROOT / "README.md").read_text()
    match = re.search(
        rf"^( *)<!-- {marker}:[^>]*-->\n\1```{lang}\n(.*?)^\1```", text, flags=re.S | re.M
    )
    assert match, f"README.md has no ```{lang} block after the {marker} marker"
    return textwrap.dedent(match.group(2))


def run(args, cwd, env, timeout=600):
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def fresh_site(tmp_path_factory):
    where = tmp_path_factory.mktemp("fresh")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    }
    env["PYTHONPATH"] = str(ROOT)  # this checkout's ecm_ops, as `pip install -e .` would
    run([str(BIN / "wagtail"), "start", "mysite", str(where)], cwd=where, env=env)
    settings = where / "mysite" / "settings" / "base.py"
    settings.write_text(settings.read_text() + "\n" + readme_block("fresh-site-settings", "python"))
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings.dev"
    return where, env


@pytest.mark.parametrize("redis", [False, pytest.param(True, marks=pytest.mark.redis)])
def test_readme_install_path_in_a_fresh_wagtail_start_site(fresh_site, redis):
    where, env = fresh_site
    env = {**env, "DATABASE_URL": ""}
    if redis:
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    # a fresh database for each run (wagtail start's dev settings: db.sqlite3 in the project)
    (where / "db.sqlite3").unlink(missing_ok=True)
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=where, env=env)
    checked = run([sys.executable, "manage.py", "check"], cwd=where, env=env)
    assert "ecm_ops.E" not in checked and "ecm_ops.W001" not in checked, checked
    assert "ecm_ops.W100" in checked  # no governed section yet: the setup checklist says so
    schema = readme_block("fresh-site-schema", "json")
    suite = readme_block("fresh-site-suite", "yaml")
    out = run(
        [sys.executable, str(ROOT / "tests" / "fresh_site_driver.py"), schema, suite],
        cwd=where,
        env={**env, "PYTHONPATH": f"{where}{os.pathsep}{ROOT}"},
    )
    assert "FRESH-SITE OK" in out, out
    assert "page type: HomePage" in out
    assert "evaluation: 1 / 1 passed" in out, out
