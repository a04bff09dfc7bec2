"""Refusing, at save, a rule pack that would make screenings too slow.

Every pattern already runs with RE2 (linear time), but a pack can still be slow by sheer size
(thousands of rules, huge alternations). :func:`check_pack_time` runs the pack's rules on a
2,000-word text with headings, lists, quotes and a table, in a worker thread with a hard time
limit, and raises :class:`~.vale.RuleError` with the measured time when the pack takes longer
than ``ECM_OPS["RULE_PACK_TIME_BUDGET"]`` (so saving never waits much longer than that).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from functools import lru_cache

from .. import conf
from .canonical import CanonicalText
from .vale import RuleError, compile_rule

SENTENCES = (
    "The council will open three new cycle lanes on the ring road next spring.",
    "Residents said the consultation was short, and some felt it ignored older people.",
    "According to the transport office, journeys could be about ten minutes faster.",
    "I think the plan is sensible, but it seems that the funding is not yet secure.",
    "Buses will run every twelve minutes during the day and every half hour at night.",
    "The World Health Organization (WHO) recommends at least 150 minutes of activity a week.",
    "Our team spoke to twenty shop owners; most of them welcomed the change.",
    "In order to apply, fill in the online form before 31 March and attach a photo.",
    "The report, which runs to 84 pages, sets out the costs in some detail.",
    "Parking charges will not change this year, the council confirmed on Tuesday.",
)


@lru_cache(maxsize=1)
def sample_document(words: int = 2000) -> CanonicalText:
    """A deterministic article of about ``words`` words with the structures rules scope to."""
    parts, count, i = [], 0, 0
    while count < words:
        if i % 12 == 0:
            parts.append(f"<h2>Section {i // 12 + 1}: what changes for residents</h2>")
        sentence = SENTENCES[i % len(SENTENCES)]
        if i % 9 == 4:
            parts.append(f"<ul><li>{sentence}</li><li>See the map.</li></ul>")
        elif i % 11 == 5:
            parts.append(f"<blockquote>{sentence}</blockquote>")
        elif i % 13 == 6:
            parts.append(f"<table><tr><th>Route</th><td>{sentence}</td></tr></table>")
        else:
            parts.append(f"<p>{sentence} {SENTENCES[(i * 7 + 3) % len(SENTENCES)]}</p>")
        count = len(" ".join(parts).split())
        i += 1
    return CanonicalText.from_fields(
        [("title", "New cycle lanes for the ring road"), ("body", "".join(parts))],
        html_fields=("body",),
    )


def _run(rules: dict[str, dict], vocabulary: tuple[str, ...], stop: threading.Event) -> None:
    doc, cache = sample_document(), {}
    for name, rule in rules.items():
        for _hit in compile_rule(name, rule, vocabulary).hits(doc, cache):
            if stop.is_set():
                return


def check_pack_time(rules: dict[str, dict], vocabulary: tuple[str, ...] = ()) -> float:
    """Seconds the pack takes on the sample text.

    Raises:
        RuleError: it takes longer than ``ECM_OPS["RULE_PACK_TIME_BUDGET"]`` (the thread is
            told to stop and abandoned; RE2 matching ends in linear time on its own).
    """
    budget = float(conf.get("RULE_PACK_TIME_BUDGET"))
    stop = threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecm-pack")
    started = time.perf_counter()
    future = pool.submit(_run, rules, vocabulary, stop)
    try:
        future.result(timeout=budget)
    except concurrent.futures.TimeoutError:
        stop.set()
        raise RuleError(
            f"This rule pack is too slow: it had not finished a 2,000-word text after "
            f"{time.perf_counter() - started:.2f} s (the limit is {budget:g} s), so it would "
            "hold up every screening. Remove rules or simplify the longest patterns."
        ) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return time.perf_counter() - started
