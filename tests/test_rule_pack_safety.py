"""Admin rules that cannot hurt the site (issue 14, point 3): hostile rule packs are refused
with a form error through the admin views, never a 500 or a hang; checks that need the
database load in the caller and match under the same hard time budget as every other check."""

from __future__ import annotations

import re
import threading
import time

import pytest
import re2
from django.test import override_settings
from django.urls import reverse

from ecm_ops.content_checks import registry
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.registry import BaseCheck, CheckContext, run_check
from ecm_ops.content_checks.style import StyleCheck
from ecm_ops.content_checks.vale import RuleError, parse_pack
from ecm_ops.models import StyleRulePack

ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)
HOSTILE = {
    "alias bomb": (ALIAS_BOMB, "anchors and aliases"),
    "catastrophic regex": (
        "Doubled:\n  extends: existence\n  raw: ['(\\w+\\s?)+\\1$']\n",
        "backreferences",
    ),
    "lookaround regex": (
        "R:\n  extends: existence\n  tokens: ['(?=(a+))+b']\n",
        "lookarounds",
    ),
    "huge repetition": (
        "R:\n  extends: existence\n  raw: ['((a{1000}){1000}){1000}']\n",
        "cannot be used",
    ),  # fmt: skip
    "deep nesting": ("R: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    "NUL escape": ('R:\n  extends: existence\n  tokens: ["a\\0b"]\n', "NUL"),
    "control character": ("R:\n  extends: existence\n  tokens: [a\x01b]\n", "control"),
    "huge size": (
        "R:\n  extends: existence\n  tokens: [" + "x, " * 100_000 + "y]\n",
        "at most 200,000",
    ),  # fmt: skip
    "merge key": ("base: &b {extends: existence}\nR:\n  <<: *b\n  tokens: [x]\n", "aliases"),
}


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_packs_are_refused_by_the_parser(case):
    source, why = HOSTILE[case]
    with pytest.raises(RuleError, match=re.escape(why) if why != "nested more than" else why):
        parse_pack(source)


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_packs_are_a_form_error_in_the_admin(admin_client, case):
    source, why = HOSTILE[case]
    response = admin_client.post(
        reverse("ecm_ops_style_rule_packs:add"),
        {"name": "hostile", "description": "", "enabled": "on", "source": source},
    )
    assert response.status_code == 200
    assert not StyleRulePack.objects.exists()
    errors = " ".join(response.context["form"].errors.get("source", []))
    assert why in errors


@pytest.mark.django_db
def test_raw_nul_byte_in_the_form_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("ecm_ops_style_rule_packs:add"),
        {"name": "nul", "enabled": "on", "source": "R:\n  extends: existence\n  tokens: [a\x00]"},
    )
    assert response.status_code == 200 and not StyleRulePack.objects.exists()
    assert response.context["form"].errors["source"]


@pytest.mark.django_db
def test_editing_a_good_pack_into_a_hostile_one_keeps_the_good_one(admin_client):
    pack = StyleRulePack.objects.create(
        name="house", source="R:\n  extends: existence\n  tokens: [x]\n"
    )
    response = admin_client.post(
        reverse("ecm_ops_style_rule_packs:edit", args=[pack.pk]),
        {"name": "house", "enabled": "on", "source": ALIAS_BOMB},
    )
    assert response.status_code == 200
    pack.refresh_from_db()
    assert pack.rules == {"R": {"extends": "existence", "tokens": ["x"]}}


@pytest.mark.django_db
def test_a_pack_too_slow_for_a_2000_word_text_is_refused_with_the_time(admin_client):
    # A linear-time pattern that matches every letter: thousands of findings per text.
    source = "EveryLetter:\n  extends: existence\n  nonword: true\n  raw: ['[a-z]']\n"
    with override_settings(ECM_OPS={"RULE_PACK_TIME_BUDGET": 0.05}):
        response = admin_client.post(
            reverse("ecm_ops_style_rule_packs:add"),
            {"name": "slow", "enabled": "on", "source": source},
        )
    assert response.status_code == 200 and not StyleRulePack.objects.exists()
    error = " ".join(response.context["form"].errors["source"])
    assert "too slow" in error and re.search(r"after \d+\.\d\d s \(the limit is 0\.05 s\)", error)


@pytest.mark.django_db
def test_a_pattern_catastrophic_for_backtracking_engines_runs_in_linear_time():
    pack = StyleRulePack.objects.create(
        name="nested", source="R:\n  extends: existence\n  nonword: true\n  raw: ['(a+)+$']\n"
    )
    assert pack.rules  # RE2 accepts it: it cannot backtrack
    doc = CanonicalText.from_fields([("body", "a" * 30_000 + "b")])
    with override_settings(ECM_OPS={"STYLE_DEFAULT_PACK": False, "CHECK_TIME_BUDGET": 2.0}):
        findings = run_check(StyleCheck(), doc, CheckContext())
    assert not any(f.check_id.endswith("could_not_run") for f in findings)


@pytest.mark.django_db
def test_admin_shows_warnings_for_ignored_keys(admin_client):
    response = admin_client.post(
        reverse("ecm_ops_style_rule_packs:add"),
        {"name": "warn", "enabled": "on",
         "source": "R:\n  extends: capitalization\n  match: $title\n  style: Chicago\n"},
        follow=True,
    )  # fmt: skip
    assert StyleRulePack.objects.filter(name="warn").exists()
    assert "the key &#x27;style&#x27; is not supported" in response.content.decode()


# --- the hard budget for checks that need the database -----------------------------------


STOP = threading.Event()


class SlowDatabaseCheck(BaseCheck):
    """Loads from the database in prepare(), then matches a pattern over and over: minutes of
    work (stopped by the test once it has its answer, to spare the machine)."""

    check_id = "slowdb"
    label = "Slow database check"
    runs_in_thread = False

    def prepare(self, batch):
        count = StyleRulePack.objects.count()
        for _doc, context in batch:
            context.extra["slowdb.count"] = count
            context.extra["slowdb.thread"] = threading.current_thread().name

    def run(self, doc, context):
        context.extra["slowdb.run_thread"] = threading.current_thread().name
        assert "slowdb.count" in context.extra  # loaded by the caller
        pattern = re2.compile(r"(?:x|xx)+(?:[a-z]){12}y")
        for _ in range(10**7):
            if STOP.is_set() or pattern.search(doc.text):
                return
        yield self.finding(doc, "info", 0, 1, "never")


@pytest.mark.django_db
def test_a_database_check_that_would_run_long_fails_closed_on_time():
    doc = CanonicalText.from_fields([("body", "x" * 5000)])
    context = CheckContext()
    started = time.perf_counter()
    try:
        findings = run_check(SlowDatabaseCheck(), doc, context, budget=0.3)
        elapsed = time.perf_counter() - started
    finally:
        STOP.set()
    assert [f.check_id for f in findings] == ["slowdb.could_not_run"]
    assert "longer than 0.3 seconds" in findings[0].message
    assert elapsed < 5  # the pattern alone runs for minutes: the budget cut it off
    assert context.extra["slowdb.thread"] == threading.current_thread().name
    assert context.extra["slowdb.run_thread"] != threading.current_thread().name


@pytest.mark.django_db
def test_style_check_loads_packs_in_the_caller_and_matches_in_the_worker(
    django_assert_num_queries,
):
    StyleRulePack.objects.create(name="house", source="R:\n  extends: existence\n  tokens: [x]\n")
    doc = CanonicalText.from_fields([("body", "x marks the spot")])
    context = CheckContext()
    with override_settings(ECM_OPS={"STYLE_DEFAULT_PACK": False}):
        registry.prepare_checks([(doc, context)], [StyleCheck()])
        with django_assert_num_queries(0):
            findings = run_check(StyleCheck(), doc, context)
    assert [f.check_id for f in findings] == ["style.house.R"]
