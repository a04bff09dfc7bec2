"""The ``ECM_OPS`` settings dict: defaults, a cached accessor, unknown keys rejected.

Read settings with :func:`ecm_settings` at call time, never at import time, so that
``override_settings(ECM_OPS=...)`` reaches every code path (the cache is cleared on
``setting_changed``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

# Every deterministic built-in check (the optional LLM rubric check,
# "ecm_ops.content_checks.llm_rubric.LLMRubricCheck", is enabled by adding it to CHECKS).
DEFAULT_CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
    "ecm_ops.content_checks.claims.ClaimsCheck",
    "ecm_ops.content_checks.style.StyleCheck",
    "ecm_ops.content_checks.readability.ReadabilityCheck",
    "ecm_ops.content_checks.links.LinksCheck",
    "ecm_ops.content_checks.duplicates.NearDuplicateCheck",
]

DEFAULTS: dict[str, Any] = {
    # "auto": Anthropic when an API key is configured, otherwise the offline provider.
    # Or "offline", "anthropic", or the dotted path of a Provider subclass.
    "PROVIDER": "auto",
    "ANTHROPIC": {
        "API_KEY": None,  # falls back to the ANTHROPIC_API_KEY environment variable
        # The newest Sonnet in the installed SDK's model list (anthropic.types.Model);
        # claude-sonnet-4-5 is on the SDK's deprecation list. A template's own model wins.
        "MODEL": "claude-sonnet-5-5",
        # Ceiling on output tokens per draft (a template's max_tokens is capped to it).
        "MAX_TOKENS": 4096,
        "TIMEOUT": 60.0,  # seconds per attempt
        "MAX_RETRIES": 2,  # SDK retries on 408/409/429/5xx/529 with backoff (retry-after)
        # None: the SDK's own choice (ANTHROPIC_BASE_URL, else https://api.anthropic.com).
        "BASE_URL": None,
    },
    # "auto": RQ when django-rq has the queue configured, otherwise inline after commit.
    "JOB_BACKEND": "auto",
    "QUEUE": "default",
    # Rows still queued/running this many seconds after they were last enqueued are re-enqueued.
    "REAPER_STALE_AFTER": 300,
    "MAX_ATTEMPTS": 5,
    # RQ job_timeout in seconds per kind of background row (model name). Each must be shorter
    # than REAPER_STALE_AFTER (refused otherwise): RQ kills a job before the reaper re-queues
    # its row. The draft job's covers ANTHROPIC TIMEOUT x (MAX_RETRIES + 1) plus saving.
    "JOB_TIMEOUTS": {
        "draftrequest": 240,
        "screeningrun": 120,
        "monitoringcheck": 120,
        "escalationtimer": 60,
        "sweeprun": 120,
        "sweepchunk": 240,
        # An evaluation run resumes after the cases it already judged when re-queued.
        "evaluationrun": 240,
        "rolluprun": 240,
    },
    "CHECKS": list(DEFAULT_CHECKS),
    # Seconds a single check may take before it fails closed.
    "CHECK_TIME_BUDGET": 5.0,
    "PII_ALLOWLIST": [],
    # Regions whose national phone formats the PII check reads ("020 7946 0958" as GB,
    # "(212) 555-0199" as US); numbers written with +country code are found whatever these are.
    "PII_PHONE_REGIONS": ["GB", "US"],
    # Languages a check reads, by check id, overriding the check's own ``languages``
    # (e.g. {"style": ["en", "fr"]}); a page in another language gets a "not checked" note.
    "CHECK_LANGUAGES": {},
    # Per-check time budgets in seconds by check id (e.g. {"llm_rubric": 60}); others use
    # CHECK_TIME_BUDGET or the check class's own ``time_budget``.
    "CHECK_TIME_BUDGETS": {},
    # Extra canonical-text fields by page type ("app_label.model" -> [field names]), for page
    # classes you cannot edit; a class's own ``ecm_ops_text_fields`` wins.
    "TEXT_FIELDS": {},
    # Readability targets by page type, "*" for the rest: max_grade (Flesch-Kincaid grade)
    # and/or min_ease (Flesch reading ease).
    "READABILITY_TARGETS": {"*": {"max_grade": 12}},
    # The style rule pack shipped in ecm_ops/content_checks/rules/default/ (besides the
    # admin-managed StyleRulePacks).
    "STYLE_DEFAULT_PACK": True,
    # Seconds an admin rule pack may take on a 2,000-word text, measured when it is saved
    # (a pack that takes longer is refused with the time it took).
    "RULE_PACK_TIME_BUDGET": 0.5,
    # Near-duplicates: estimated Jaccard similarity of 5-word shingles above which a page
    # is reported (warning; blocker at NEAR_DUPLICATE_BLOCKER).
    "NEAR_DUPLICATE_THRESHOLD": 0.5,
    "NEAR_DUPLICATE_BLOCKER": 0.9,
    # Overall score (weighted findings per 100 words) at or above which a text needs at least
    # this tier level: [[score, level], ...]. See ecm_ops.content_checks.scoring.
    "SCORE_TIER_THRESHOLDS": [[0.0, 1], [2.0, 2], [5.0, 3], [10.0, 4]],
    # Seconds after publication for the first post-publication re-screen.
    "MONITORING_FIRST_CHECK_AFTER": 3600,
    # Save screenings closer together than this are coalesced (autosave); the newest revision
    # is still screened when the debounced run starts.
    "SCREEN_DEBOUNCE_SECONDS": 10,
    # Nightly sweep of every live page: RQ cron expression and pages per chunk job.
    "SWEEP_CRON": "30 2 * * *",
    "SWEEP_CHUNK_SIZE": 100,
    # Nightly verifier: RQ cron expression (violations become incidents for site admins).
    "VERIFY_CRON": "15 3 * * *",
    # Days of publications the nightly verifier re-derives (ecm_ops_verify --since).
    "VERIFY_WINDOW_DAYS": 2,
    # Staleness when a page's tier sets no review_after_days (None: no staleness finding).
    "STALE_AFTER_DAYS": 365,
    # Optional network check of external links during monitoring (never on save). Private,
    # loopback and link-local addresses are refused unless ALLOW_PRIVATE (SSRF).
    "EXTERNAL_LINKS": {"ENABLED": False, "ALLOW_PRIVATE": False, "TIMEOUT": 5.0},
    # USD per million tokens, by model name prefix (the longest matching prefix wins; a model
    # without a price is recorded at cost 0 with a warning in the log). Cache writes are the
    # 5-minute ephemeral cache (1.25x input), cache reads 0.1x input. A site's PRICES replaces
    # this whole table: copy it and add your models (e.g. "claude-fable", "claude-mythos").
    "PRICES": {
        "claude-sonnet": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
        "claude-opus": {"input": 5.0, "output": 25.0, "cache_read": 0.5, "cache_write": 6.25},
        "claude-haiku": {"input": 1.0, "output": 5.0, "cache_read": 0.1, "cache_write": 1.25},
        "offline": {"input": 0.0, "output": 0.0, "cache_read": 0.0, "cache_write": 0.0},
    },
    "BUDGETS": {"USER_DAILY_TOKENS": None, "SITE_MONTHLY_TOKENS": None},
    # AI disclosure on published pages (ecm_ops.disclosure; README "AI disclosure").
    "DISCLOSURE": {
        # An AI-written share at or above this is "AI-generated"; below it, "AI-assisted".
        "AI_GENERATED_SHARE": 0.5,
        # Per level: whether the reader label shows ("required" for unreviewed AI text is
        # the law and cannot be lowered) and its short text. Publishers may label more
        # strictly than the law: e.g. {"ai_assisted_reviewed": {"LABEL": True}}.
        "LEVELS": {
            "human": {"LABEL": False, "TEXT": "Written by our editorial team."},
            "ai_assisted_reviewed": {
                "LABEL": False,
                "TEXT": "Written with AI assistance and reviewed by our editors.",
            },
            "ai_generated_reviewed": {
                "LABEL": True,
                "TEXT": "Generated with AI and reviewed by our editors.",
            },
            "ai_unreviewed": {
                "LABEL": True,
                "TEXT": "Generated with AI. This text was not reviewed by a person.",
            },
        },
        # Stricter label settings per section: {"/home/health/": {"ai_assisted_reviewed":
        # True}} (a page's url_path prefix -> level -> show the label); the longest prefix wins.
        "SECTIONS": {},
        # Where the label's "what does this mean?" link goes (None: ecm_ops's own page when
        # ecm_ops.urls is included, else no link).
        "EXPLANATION_URL": None,
        # Serve a minimal public evidence record per page at ecm_ops.urls' stable URL.
        "PUBLIC_EVIDENCE": False,
        # Add an "AI-Disclosure" response header to page responses (needs the middleware
        # ecm_ops.disclosure.middleware.DisclosureHeaderMiddleware).
        "RESPONSE_HEADER": False,
        # "default" (a text label) or "eu_icon" (the EU-style "AI" icon before the text).
        "STYLE": "default",
    },
    # Section readiness (Content ops -> Setup): "off", "warn" (editors are told what is missing
    # when they draft in a section that is not ready) or "enforce" (AI drafting there is
    # refused with the list of what is missing).
    "READINESS_ENFORCEMENT": "off",
    # Prompt promotion gate: how much worse than the promoted version's last run (same model,
    # same cases) a candidate's run may be. PASS_RATE in points of 0-1, MEAN_SCORE in score
    # points (higher is worse). SINGLE_ADMIN: the candidate's author may promote it alone.
    "PROMOTION": {"PASS_RATE_TOLERANCE": 0.0, "MEAN_SCORE_TOLERANCE": 1.0, "SINGLE_ADMIN": False},
    # Evaluation suites: YAML upload size limit (bytes) and cases per template.
    "EVALUATION": {"YAML_MAX_BYTES": 256_000, "MAX_CASES": 200},
    # Operations dashboard: RQ cron expression of the nightly rollup (yesterday's and today's
    # rows, screening retention, drift evaluation).
    "ROLLUP_CRON": "45 1 * * *",
    # Keep the newest N screening runs per page (runs tied to a publication or a review case,
    # an override, an incident, a monitoring check or a billed provider call are always kept;
    # the nightly rollup job deletes the rest); None keeps every run.
    "SCREENING_RETENTION_RUNS": None,
    # A drift alert opens when a quality metric is worse than the pilot's confidence interval
    # for this many consecutive periods (weeks).
    "DRIFT_CONSECUTIVE_PERIODS": 3,
    # Names of the groups that are "teams" on the dashboard (a user's team is the first of
    # these, by name, that they belong to). Empty: no team breakdown.
    "OPS_TEAM_GROUPS": [],
    # Rubber-stamp flags (flags, never blocks): approvals faster than READING_WPM words a
    # minute (and under MIN_READING_SECONDS for any length); reviewers approving at least
    # MIN_CASES cases with an AI share >= HIGH_AI_SHARE without ever requesting changes on
    # one; reviewers whose approval rate differs from their peers' at the same tier by more
    # than RATE_GAP (with at least MIN_CASES decisions each side); over WINDOW_DAYS.
    "RUBBER_STAMP": {
        "READING_WPM": 400,
        "MIN_READING_SECONDS": 15,
        "HIGH_AI_SHARE": 0.7,
        "MIN_CASES": 10,
        "RATE_GAP": 0.3,
        "WINDOW_DAYS": 90,
    },
}

READINESS_MODES = ("off", "warn", "enforce")


#: Dict settings whose keys are the site's own (page types, check ids, models): replaced whole.
FREE_FORM = {
    "PRICES",
    "CHECK_TIME_BUDGETS",
    "TEXT_FIELDS",
    "READABILITY_TARGETS",
    "SECTIONS",
    "CHECK_LANGUAGES",
}


def _merge(defaults: dict[str, Any], overrides: dict[str, Any], path: str) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in overrides.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ImproperlyConfigured(
                f"Unknown ECM_OPS setting {path}{key!r}. Known settings: {known}."
            )
        if isinstance(defaults[key], dict) and isinstance(value, dict) and key not in FREE_FORM:
            merged[key] = _merge(defaults[key], value, f"{path}{key}.")
        else:
            merged[key] = value
    return merged


@lru_cache(maxsize=1)
def ecm_settings() -> dict[str, Any]:
    """Return the effective ``ECM_OPS`` settings (defaults merged with the site's)."""
    user = getattr(settings, "ECM_OPS", {}) or {}
    if not isinstance(user, dict):
        raise ImproperlyConfigured("ECM_OPS must be a dict.")
    merged = _merge(DEFAULTS, user, "")
    _validate_job_timeouts(merged)
    _validate_disclosure(merged["DISCLOSURE"])
    _validate_phone_regions(merged)
    if merged["READINESS_ENFORCEMENT"] not in READINESS_MODES:
        raise ImproperlyConfigured(
            f"ECM_OPS READINESS_ENFORCEMENT is {merged['READINESS_ENFORCEMENT']!r}; use one "
            f"of {', '.join(repr(m) for m in READINESS_MODES)}."
        )
    return merged


def _validate_disclosure(conf: dict[str, Any]) -> None:
    """Refuse a disclosure table that labels less than the law asks, or names unknown levels."""
    levels = DEFAULTS["DISCLOSURE"]["LEVELS"]
    if conf["LEVELS"]["ai_unreviewed"]["LABEL"] is not True:
        raise ImproperlyConfigured(
            "ECM_OPS DISCLOSURE.LEVELS.ai_unreviewed.LABEL must stay True: AI text published "
            "without human review must be labelled (EU AI Act Art. 50(4))."
        )
    share = conf["AI_GENERATED_SHARE"]
    if not isinstance(share, int | float) or not 0 < share <= 1:
        raise ImproperlyConfigured("ECM_OPS DISCLOSURE.AI_GENERATED_SHARE must be in (0, 1].")
    if conf["STYLE"] not in ("default", "eu_icon"):
        raise ImproperlyConfigured('ECM_OPS DISCLOSURE.STYLE must be "default" or "eu_icon".')
    for prefix, per_level in conf["SECTIONS"].items():
        if not (isinstance(prefix, str) and prefix.startswith("/") and isinstance(per_level, dict)):
            raise ImproperlyConfigured(
                "ECM_OPS DISCLOSURE.SECTIONS maps a page url_path prefix such as "
                f"'/home/news/' to {{level: True/False}}, not {prefix!r}."
            )
        for level, show in per_level.items():
            if level not in levels or not isinstance(show, bool):
                raise ImproperlyConfigured(
                    f"ECM_OPS DISCLOSURE.SECTIONS[{prefix!r}]: {level!r} must be one of "
                    f"{', '.join(levels)} with True or False."
                )
            if level == "ai_unreviewed" and not show:
                raise ImproperlyConfigured(
                    "ECM_OPS DISCLOSURE.SECTIONS cannot hide the label of unreviewed AI text."
                )


def _validate_phone_regions(merged: dict[str, Any]) -> None:
    """Refuse region codes that ``phonenumbers`` does not know: a typo ("UK" for "GB") would
    otherwise silently stop the PII check finding national-format numbers."""
    import phonenumbers

    regions = merged["PII_PHONE_REGIONS"]
    if isinstance(regions, str) or not isinstance(regions, list | tuple):
        raise ImproperlyConfigured(
            'ECM_OPS PII_PHONE_REGIONS must be a list of region codes, e.g. ["GB", "US"].'
        )
    unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ImproperlyConfigured(
            f"ECM_OPS PII_PHONE_REGIONS has unknown region codes {unknown}: use ISO 3166 "
            'two-letter codes in capitals, e.g. "GB" (not "UK"), "US", "DE".'
        )


def _validate_job_timeouts(merged: dict[str, Any]) -> None:
    """Refuse job timeouts that are not shorter than the reaper's stale threshold.

    Why a timeout and not a heartbeat: RQ enforces ``job_timeout`` by killing the job, so
    with every timeout below ``REAPER_STALE_AFTER`` a job is dead before the reaper treats its
    row as abandoned, and a live job is never re-queued in normal operation. A heartbeat would
    need a thread writing to the database in every job, and would keep a job that hangs (a
    provider call that never returns) alive for ever. The attempt fence in
    :mod:`ecm_ops.jobs.claims` covers what a timeout cannot (a frozen machine, clock skew).
    """
    stale = merged["REAPER_STALE_AFTER"]
    too_long = {k: v for k, v in merged["JOB_TIMEOUTS"].items() if not 0 < v < stale}
    if too_long:
        raise ImproperlyConfigured(
            f"ECM_OPS JOB_TIMEOUTS {too_long} must be positive and shorter than "
            f"REAPER_STALE_AFTER ({stale} s): otherwise the reaper re-queues jobs that are "
            "still running. Lower those timeouts or raise REAPER_STALE_AFTER."
        )


def get(name: str) -> Any:
    """Return one top-level setting, e.g. ``get("QUEUE")``."""
    return ecm_settings()[name]


def anthropic_api_key() -> str | None:
    """The API key from settings or the environment. It is never stored or logged."""
    return ecm_settings()["ANTHROPIC"]["API_KEY"] or os.environ.get("ANTHROPIC_API_KEY") or None


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ECM_OPS", "RQ_QUEUES"):
        ecm_settings.cache_clear()
