"""Under load, as a newsroom uses it: 20 editors saving and watching their findings at once.

Setup (PostgreSQL + Redis only: ``DATABASE_URL`` and ``REDIS_URL``): a throwaway database
(``bench/benchdb.py``) with the demo site and 20 non-superuser editors (Wagtail's "Editors"
group), each with their own ~800-word News page of real prose (``bench/corpus.py``); a
multi-process web server (gunicorn, ``BENCH_LOAD_WEB`` processes, default 4) on the
production settings (``sandbox_site.settings.production``: persistent connections) and two RQ
workers (``ecm_ops.jobs.worker.Worker``, one with the scheduler), as the README deploys them.

Each editor (a thread with its own HTTP session, real login through ``/admin/login/``):
repeatedly POSTs Wagtail's edit form (one changed paragraph, with an e-mail address for the
personal-data check to find), follows the redirect to the editor as a browser does, and polls
the findings endpoint as the panel's script does (with ``If-None-Match``; every second while a
screening is pending) until it shows a finished screening of the revision just saved; then
reads for 0.5-2 s and saves again.

Two phases, each with a fresh server and workers: ``immediate`` (``SCREEN_DEBOUNCE_SECONDS=0``,
``BENCH_LOAD_SAVES`` saves per editor, default 20: 400 saves) and ``debounced`` (the shipped
10 s debounce, ``BENCH_LOAD_DEBOUNCED_SAVES`` per editor, default 3).

Figures: ``load_errors`` (goal 0: non-2xx/3xx answers, timeouts, failed screenings),
``load_duplicate_runs`` (goal 0: a revision screened twice), ``load_save_to_findings_p95``
(goal <= 2.0 s, immediate), ``load_save_to_findings_debounced_p95`` (goal <= debounce + 2.0),
``load_save_request_p95``, ``load_saves_per_s``, ``load_queue_max`` and the share of poll
requests (information). The queries of one poll are ``findings_poll_queries`` in
``bench_save_to_findings.py``.

Run: ``DATABASE_URL=postgres://... REDIS_URL=redis://... DJANGO_SETTINGS_MODULE=
sandbox_site.settings.test .venv/bin/python bench/bench_load.py``.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import load_average, throwaway_database, uses_rq, worker_env  # noqa: E402
from django.db import connections  # noqa: E402

EDITORS = int(os.environ.get("BENCH_LOAD_EDITORS", "20"))
SAVES = int(os.environ.get("BENCH_LOAD_SAVES", "20"))
DEBOUNCED_SAVES = int(os.environ.get("BENCH_LOAD_DEBOUNCED_SAVES", "3"))
WEB = int(os.environ.get("BENCH_LOAD_WEB", "4"))
DEBOUNCE = 10  # the shipped SCREEN_DEBOUNCE_SECONDS (checked below)
PASSWORD = "load-bench-password"  # noqa: S105 - a throwaway database's users
TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, int(round(p / 100 * len(ordered))) - 1)]


@dataclass
class Tally:
    saves: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    polls: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **kw):
        with self.lock:
            for key, value in kw.items():
                if isinstance(getattr(self, key), list):
                    getattr(self, key).append(value)
                else:
                    setattr(self, key, getattr(self, key) + value)


def prepare(demo) -> list[dict]:
    """20 editors, each with an ~800-word page; the form data of each page's edit view."""
    from corpus import article_html
    from django.contrib.auth.models import Group

    from sandbox_site.content.models import NewsArticle

    User = django.contrib.auth.get_user_model()  # noqa: N806
    editors_group = Group.objects.get(name="Editors")
    people = []
    for n in range(EDITORS):
        user = User.objects.create_user(f"load-editor-{n}", f"load{n}@example.com", PASSWORD)
        user.groups.add(editors_group)
        body = article_html(800, seed=2000 + n)
        page = NewsArticle(
            title=f"Transport plan, part {n}", slug=f"load-{n}", intro="What it means.", body=body
        )
        demo["news"].add_child(instance=page)
        page.save_revision(user=user)
        people.append({"username": user.username, "page": page.pk, "body": body, "obj": page})
    return people


def form_for(person: dict, i: str) -> dict:
    from wagtail.test.utils.form_data import rich_text

    from tests.helpers import edit_form_data

    body = person["body"] + (
        f"<p>Correction {i}: write to desk{i}.{person['page']}@gmail.com with the figures.</p>"
    )
    return edit_form_data(person["obj"], body=rich_text(body))


def start_services(base: str, env: dict, debounce: int) -> list[subprocess.Popen]:
    quiet = None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
        "SECRET_KEY": "load-bench-secret-key-" + "x" * 40,
        "ECM_OPS_LOAD_DEBOUNCE": str(debounce),
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    web = subprocess.Popen(  # noqa: S603
        [gunicorn, "-w", str(WEB), "-b", base.removeprefix("http://"), "--timeout", "120",
         "sandbox_site.wsgi"],
        env=env, cwd=ROOT, stdout=quiet, stderr=quiet,
    )  # fmt: skip
    workers = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "rqworker",
                "default",
                "--worker-class",
                "ecm_ops.jobs.worker.Worker",
                *(["--with-scheduler"] if n == 0 else []),
            ],
            env=env,
            cwd=ROOT,
            stdout=quiet,
            stderr=quiet,
        )  # fmt: skip
        for n in range(2)
    ]
    import requests

    for _ in range(120):
        try:
            if requests.get(base + "/admin/login/", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        raise SystemExit("the web server did not start")
    time.sleep(2)  # the workers warm up their checks
    return [web, *workers]


def stop(procs) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def editor(base: str, person: dict, forms: list[dict], tally: Tally, start: threading.Event):
    import requests

    s = requests.Session()
    url = f"{base}/admin/pages/{person['page']}/edit/"
    poll = f"{base}/ecm-ops/pages/{person['page']}/findings/"
    try:
        r = s.get(base + "/admin/login/", timeout=TIMEOUT)
        r = s.post(
            base + "/admin/login/",
            data={"username": person["username"], "password": PASSWORD,
                  "csrfmiddlewaretoken": s.cookies["csrftoken"]},
            headers={"Referer": base + "/admin/login/"}, timeout=TIMEOUT,
        )  # fmt: skip
        if r.status_code != 200 or "/admin/login/" in r.url:
            tally.add(errors=f"login failed for {person['username']}: {r.status_code}")
            return
        s.get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        tally.add(errors=f"login: {exc}")
        return
    start.wait()
    etag, state = None, None
    for i, form in enumerate(forms):
        data = {**form, "csrfmiddlewaretoken": s.cookies["csrftoken"]}
        began = time.perf_counter()
        try:
            r = s.post(url, data=data, headers={"Referer": url}, timeout=TIMEOUT,
                       allow_redirects=False)  # fmt: skip
            saved = time.perf_counter() - began
            tally.add(requests=1, saves=saved)
            if r.status_code != 302:
                tally.add(errors=f"save {i} of page {person['page']}: {r.status_code}")
                continue
            s.get(url, timeout=TIMEOUT)  # the browser follows the redirect to the editor
            tally.add(requests=1)
            etag, state = None, None  # a new page load: the panel starts without an ETag
            while True:
                headers = {"Accept": "application/json"}
                if etag:
                    headers["If-None-Match"] = etag
                r = s.get(poll, headers=headers, timeout=TIMEOUT)
                tally.add(requests=1, polls=1)
                if r.status_code == 200:
                    state, etag = r.json(), r.headers.get("ETag")
                elif r.status_code != 304:
                    tally.add(errors=f"poll of page {person['page']}: {r.status_code}")
                    break
                run = state and state["run"]
                if (
                    run
                    and run["done"]
                    and run["revision"] == state["latest_revision"]
                    and (not state["pending"])
                ):
                    tally.add(latencies=time.perf_counter() - began)
                    break
                if time.perf_counter() - began > TIMEOUT:
                    tally.add(errors=f"no findings for page {person['page']} after {TIMEOUT} s")
                    break
                time.sleep(1.0)  # the panel polls every second while a screening is pending
        except requests.RequestException as exc:
            tally.add(errors=f"save {i} of page {person['page']}: {exc}")
        time.sleep(random.uniform(0.5, 2.0))  # noqa: S311 - reading the findings


def sample_queue(queue, stop_event: threading.Event, lengths: list[int]) -> None:
    while not stop_event.is_set():
        with contextlib.suppress(Exception):  # a sample lost is not a figure lost
            lengths.append(queue.count)
        stop_event.wait(0.5)


def phase(label: str, people: list[dict], saves: int, debounce: int, env: dict) -> dict:
    from ecm_ops.jobs.outbox import get_queue

    base = f"http://127.0.0.1:{free_port()}"
    forms = {p["username"]: [form_for(p, f"{label}{i}") for i in range(saves)] for p in people}
    connections.close_all()
    procs = start_services(base, env, debounce)
    tally, start, done = Tally(), threading.Event(), threading.Event()
    lengths: list[int] = []
    queue = get_queue()
    sampler = threading.Thread(target=sample_queue, args=(queue, done, lengths), daemon=True)
    threads = [
        threading.Thread(target=editor, args=(base, p, forms[p["username"]], tally, start))
        for p in people
    ]
    try:
        for t in threads:
            t.start()
        time.sleep(3)  # every editor logged in and opened the editor
        sampler.start()
        began = time.perf_counter()
        start.set()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
    finally:
        done.set()
        stop(procs)
    return {"tally": tally, "wall": wall, "queue_max": max(lengths, default=0)}


def duplicate_runs() -> int:
    from django.db.models import Count

    from ecm_ops.models import ScreeningRun

    return (
        ScreeningRun.objects.filter(trigger="save")
        .values("revision_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )


def failed_runs() -> int:
    from ecm_ops.models import ScreeningRun

    return ScreeningRun.objects.filter(status="failed").count()


def main() -> int:
    if not uses_rq():
        print("# bench_load: needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL): skipped")
        print("bench: load_skipped = 1 (info: needs DATABASE_URL and REDIS_URL)")
        return 0
    from ecm_ops import conf
    from sandbox_site.content.demo_data import seed

    shipped = conf.get("SCREEN_DEBOUNCE_SECONDS")
    with throwaway_database("test_ecm_ops_bench_load") as where:
        demo = seed()
        people = prepare(demo)
        env = worker_env()
        print(f"# bench_load: {where}; {EDITORS} editors; gunicorn -w {WEB}; 2 RQ workers; "
              f"{load_average()}")  # fmt: skip
        from ecm_ops.jobs.outbox import get_queue

        get_queue().connection.flushdb()
        results = {"immediate": phase("i", people, SAVES, 0, env)}
        results["debounced"] = phase("d", people, DEBOUNCED_SAVES, shipped, env)
        duplicates, failed = duplicate_runs(), failed_runs()
        get_queue().connection.flushdb()
        connections.close_all()
    errors = sum(len(r["tally"].errors) for r in results.values()) + failed
    for r in results.values():
        for e in r["tally"].errors[:5]:
            print(f"# error: {e}")
    imm, deb = results["immediate"], results["debounced"]
    t = imm["tally"]
    print(
        f"# immediate: {len(t.saves)} saves in {imm['wall']:.0f} s, {t.requests} requests of "
        f"which {t.polls} findings polls ({t.polls / max(t.requests, 1):.0%}), "
        f"{t.polls / max(len(t.saves), 1):.1f} polls per save; {load_average()}"
    )
    print(f"bench: load_errors = {errors} errors (goal == 0, incl. {failed} failed screenings)")
    print(f"bench: load_duplicate_runs = {duplicates} revisions (goal == 0)")
    print(f"bench: load_saves_per_s = {len(t.saves) / imm['wall']:.2f} saves/s (info)")
    print(f"bench: load_save_request_p95 = {percentile(t.saves, 95):.3f} s (info)")
    print(f"bench: load_save_to_findings_p95 = {percentile(t.latencies, 95):.3f} s (goal <= 2.0)")
    print(f"bench: load_queue_max = {imm['queue_max']} jobs (info)")
    print(
        f"bench: load_save_to_findings_debounced_p95 = "
        f"{percentile(deb['tally'].latencies, 95):.3f} s (goal <= {shipped + 2.0:g}, the "
        f"{shipped} s debounce + 2.0)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
