"""The offline provider: deterministic, fills every asked-for field, escapes the brief, and is
what ``PROVIDER="auto"`` gives without an API key."""

from __future__ import annotations

from decimal import Decimal

from ecm_ops.drafting.service import cost_of
from ecm_ops.providers import GenerationRequest, SystemBlock, get_provider
from ecm_ops.providers.offline import OfflineProvider

FIELDS = {"title": "title", "search_description": "sd", "intro": "intro", "body": "body"}


def request(brief: dict, fields=FIELDS) -> GenerationRequest:
    return GenerationRequest(
        system=(SystemBlock("Style guide: plain English.", cache=True),),
        prompt="<brief>\n" + str(brief) + "\n</brief>",
        output_fields=fields,
        brief=brief,
    )


def test_same_brief_same_text_and_every_field_filled():
    brief = {"topic": "night buses", "audience": "commuters", "key_points": ["More routes"]}
    first = OfflineProvider().generate(request(brief))
    second = OfflineProvider().generate(request(dict(brief)))
    assert first.fields == second.fields
    assert set(first.fields) == set(FIELDS)
    assert first.fields["title"] == "Night buses"
    assert "commuters" in first.fields["search_description"]
    assert "<li>More routes</li>" in first.fields["body"]
    other = OfflineProvider().generate(request({**brief, "topic": "trams"}))
    assert other.fields["title"] == "Trams"


def test_unknown_output_fields_get_text_and_the_brief_is_escaped():
    brief = {"topic": "x", "key_points": ["<script>alert(1)</script>"]}
    result = OfflineProvider().generate(request(brief, {"summary": "summary", "body": "body"}))
    assert result.fields["summary"] == "Summary: x."
    assert "<script>" not in result.fields["body"]
    assert "&lt;script&gt;" in result.fields["body"]


def test_usage_is_estimated_from_words_and_costs_nothing():
    brief = {"topic": "night buses"}
    result = OfflineProvider().generate(request(brief))
    assert result.usage.input_tokens == len(request(brief).prompt.split()) + 4
    assert result.usage.output_tokens == sum(len(v.split()) for v in result.fields.values())
    assert result.model == "offline-deterministic-1"
    assert cost_of(result.model, result.usage) == Decimal(0)


def test_auto_without_a_key_is_offline(settings, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ECM_OPS = {**settings.ECM_OPS, "PROVIDER": "auto"}
    assert isinstance(get_provider(), OfflineProvider)
