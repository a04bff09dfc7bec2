"""Run every ``bench/bench_*.py`` and judge each figure against its goal (``make bench``).

Each script runs in its own process (with this interpreter and the caller's environment: SQLite
in memory, or PostgreSQL + Redis when ``DATABASE_URL`` / ``REDIS_URL`` are set) and prints its
figures as lines of the form::

    bench: <name> = <value> <unit> (goal <op> <target>[, any words])

``<op>`` is one of ``<=``, ``>=``, ``==``, ``<``, ``>`` and ``<target>`` a number; a line whose
parenthesis is not a goal (``(info)``) is reported but not judged, and a goal that is not of
that form (``(goal == constant)``) counts as missed, so no goal passes by not being read. The summary is built from whatever lines the scripts
print, so a new script (or a new figure) needs no change here.

Exit status: 0 when every goal is met, 1 when a goal is missed, a script fails, or a script
printed no figure at all. This is a benchmark, not a test: CI does not run it.

Options: ``python bench/run_all.py [name ...]`` runs only the scripts whose file name contains
one of the names (``run_all.py checks sweep``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
LINE = re.compile(
    r"^bench: (?P<name>\S+) = (?P<value>[-+0-9.,]+|nan|inf)\s*(?P<unit>[^(]*?)\s*"
    r"\((?P<goal>[^)]*)\)"
)
GOAL = re.compile(
    r"^goal (?P<op><=|>=|==|<|>) (?P<target>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
)
OPS = {
    "<=": lambda v, t: v <= t,
    ">=": lambda v, t: v >= t,
    "==": lambda v, t: v == t,
    "<": lambda v, t: v < t,
    ">": lambda v, t: v > t,
}


@dataclass
class Figure:
    script: str
    name: str
    value: str
    unit: str
    goal: str  # "<= 1.5", or "" when the line is information only
    met: bool | None  # None: not judged


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse(script: str, output: str) -> list[Figure]:
    """Every ``bench:`` line of ``output`` as a judged :class:`Figure`."""
    figures = []
    for line in output.splitlines():
        match = LINE.match(line.strip())
        if not match:
            continue
        goal = GOAL.match(match["goal"].strip())
        met = None
        goal_text = ""
        if goal:
            goal_text = f"{goal['op']} {goal['target']}"
            try:
                met = OPS[goal["op"]](_number(match["value"]), _number(goal["target"]))
            except ValueError:
                met = False
        elif match["goal"].strip().startswith("goal"):  # a goal this runner cannot judge
            goal_text, met = "unreadable", False
        figures.append(
            Figure(script, match["name"], match["value"], match["unit"].strip(), goal_text, met)
        )
    return figures


def run(script: Path) -> tuple[int, str, float]:
    """Run one script, echoing its output as it comes; returns (exit code, output, seconds)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox_site.settings.test"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=BENCH_DIR.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    return proc.wait(), "".join(lines), time.perf_counter() - started


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    scripts = sorted(
        p for p in BENCH_DIR.glob("bench_*.py") if not wanted or any(w in p.name for w in wanted)
    )
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite in memory"
    queue = "Redis (real RQ workers)" if os.environ.get("REDIS_URL") else "inline jobs"
    print(f"# make bench: {len(scripts)} scripts on {database}, {queue}")
    figures: list[Figure] = []
    failures: list[str] = []
    loads = []
    for script in scripts:
        print(f"== {script.name} (load average {os.getloadavg()[0]:.1f} at start)", flush=True)
        code, output, seconds = run(script)
        loads.append(os.getloadavg()[0])
        found = parse(script.name, output)
        figures.extend(found)
        if code != 0:
            failures.append(f"{script.name} exited with status {code} after {seconds:.0f} s")
        elif not found:
            failures.append(f"{script.name} printed no 'bench:' figure")
        print(f"== {script.name}: {seconds:.0f} s, exit {code}", flush=True)

    print()
    print(f"# summary ({database}, {queue}; load average {min(loads or [0]):.1f}-"
          f"{max(loads or [0]):.1f} after each script on {os.cpu_count()} cores)")  # fmt: skip
    width = max([len(f.name) for f in figures] + [10])
    print(f"{'figure':<{width}}  {'value':>16}  {'goal':<12}  result")
    for f in figures:
        result = {True: "met", False: "MISSED", None: "info"}[f.met]
        value = f"{f.value} {f.unit}".strip()
        print(f"{f.name:<{width}}  {value:>16}  {f.goal or '-':<12}  {result}")
    missed = [f for f in figures if f.met is False]
    for failure in failures:
        print(f"FAILED: {failure}")
    judged = [f for f in figures if f.met is not None]
    print(
        f"# {len(judged) - len(missed)} of {len(judged)} goals met, {len(missed)} missed, "
        f"{len(failures)} script failures"
    )
    return 1 if missed or failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
