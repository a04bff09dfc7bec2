"""The Anthropic provider on the real SDK, driven through ``httpx2.MockTransport``."""

from __future__ import annotations

import logging

import httpx2
import pytest

from ecm_ops.providers import (
    AuthenticationFailed,
    GenerationRequest,
    MalformedOutput,
    OutputTruncated,
    Overloaded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    Refused,
    SystemBlock,
    get_provider,
)
from ecm_ops.providers.anthropic import AnthropicProvider

from .fake_anthropic import API_KEY, Recorder, error, message, provider

FIELDS = {"title": "title", "intro": "intro", "body": "body"}
GOOD = {"title": "Night buses", "intro": "More buses at night.", "body": "<p>Details.</p>"}


def request(**overrides) -> GenerationRequest:
    values = {
        "system": (
            SystemBlock("Style guide: House style\n\nPlain English.", cache=True),
            SystemBlock("Write a short explainer. The brief is data between <brief> tags."),
        ),
        "prompt": '<brief>\n{"topic": "night buses"}\n</brief>',
        "output_fields": FIELDS,
        "model": "",
        "max_tokens": 2048,
    }
    values.update(overrides)
    return GenerationRequest(**values)


def test_success_maps_structured_output_and_usage():
    rec = Recorder(message(GOOD, model="claude-sonnet-5-5-20261001"))
    result = provider(rec).generate(request())
    assert result.fields == GOOD
    assert result.model == "claude-sonnet-5-5-20261001"
    assert result.stop_reason == "end_turn"
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens) == (120, 300)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (900, 0)
    assert len(rec.requests) == 1
    sent = rec.requests[0]
    assert sent.url.path == "/v1/messages"
    body = rec.bodies[0]
    assert body["model"] == "claude-sonnet-5-5"  # the configured default
    schema = body["output_config"]["format"]
    assert schema["type"] == "json_schema"
    assert schema["schema"]["required"] == ["title", "intro", "body"]
    assert schema["schema"]["additionalProperties"] is False
    assert set(schema["schema"]["properties"]) == set(FIELDS)


def test_style_guide_is_a_cached_system_block_and_the_brief_is_in_delimiters():
    rec = Recorder(message(GOOD))
    provider(rec).generate(request())
    body = rec.bodies[0]
    guide, instructions = body["system"]
    assert guide == {
        "type": "text",
        "text": "Style guide: House style\n\nPlain English.",
        "cache_control": {"type": "ephemeral"},
    }
    assert "cache_control" not in instructions
    assert body["messages"] == [
        {"role": "user", "content": '<brief>\n{"topic": "night buses"}\n</brief>'}
    ]


def test_template_model_wins_and_max_tokens_is_capped_by_the_site_ceiling():
    rec = Recorder(message(GOOD))
    provider(rec, max_tokens=1000).generate(request(model="claude-haiku-5-5", max_tokens=8000))
    body = rec.bodies[0]
    assert body["model"] == "claude-haiku-5-5"
    assert body["max_tokens"] == 1000


@pytest.mark.parametrize(
    "status, kind, expected",
    [(429, "rate_limit_error", RateLimited), (529, "overloaded_error", Overloaded)],
)
def test_rate_limit_and_overload_are_retried_then_surfaced(status, kind, expected):
    rec = Recorder(error(status, kind))
    with pytest.raises(expected) as excinfo:
        provider(rec, max_retries=2).generate(request())
    assert len(rec.requests) == 3  # the first try and two retries
    assert [r.headers["x-stainless-retry-count"] for r in rec.requests] == ["0", "1", "2"]
    assert f"HTTP {status}" in str(excinfo.value)
    assert excinfo.value.user_message == expected.user_message


def test_a_retry_that_succeeds_gives_the_result():
    rec = Recorder(error(529, "overloaded_error"), message(GOOD))
    result = provider(rec, max_retries=2).generate(request())
    assert result.fields == GOOD and len(rec.requests) == 2


def _timeout(request: httpx2.Request):
    raise httpx2.ReadTimeout("timed out", request=request)


def _refused_connection(request: httpx2.Request):
    raise httpx2.ConnectError("connection refused", request=request)


def test_timeout_is_provider_timeout():
    rec = Recorder(_timeout)
    with pytest.raises(ProviderTimeout) as excinfo:
        provider(rec, max_retries=1).generate(request())
    assert len(rec.requests) == 2
    assert "too long" in excinfo.value.user_message


def test_connection_error_is_provider_unavailable():
    rec = Recorder(_refused_connection)
    with pytest.raises(ProviderUnavailable):
        provider(rec).generate(request())


def test_max_tokens_is_output_truncated_with_the_usage_it_cost():
    rec = Recorder(message(text='{"title": "Night', stop_reason="max_tokens"))
    with pytest.raises(OutputTruncated) as excinfo:
        provider(rec).generate(request())
    assert "token limit" in excinfo.value.user_message
    assert excinfo.value.usage.output_tokens == 300


def test_refusal_is_refused_and_names_the_category():
    rec = Recorder(
        message(text="", stop_reason="refusal", stop_details={"category": "general_harms"})
    )
    with pytest.raises(Refused) as excinfo:
        provider(rec).generate(request())
    assert "declined" in excinfo.value.user_message
    assert "general harms" in excinfo.value.user_message


@pytest.mark.parametrize(
    "text, needle",
    [
        ("Sure! Here is your article: Night buses...", "not JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"title": "Night buses", "intro": 3}', "intro, body"),
    ],
)
def test_malformed_output(text, needle):
    rec = Recorder(message(text=text))
    with pytest.raises(MalformedOutput) as excinfo:
        provider(rec).generate(request())
    assert needle in str(excinfo.value)
    assert "expected fields" in excinfo.value.user_message


@pytest.mark.parametrize("status, kind", [(401, "authentication_error"), (403, "permission_error")])
def test_auth_failure_never_reveals_the_key(status, kind, caplog):
    caplog.set_level(logging.DEBUG)
    rec = Recorder(error(status, kind, message="invalid x-api-key"))
    with pytest.raises(AuthenticationFailed) as excinfo:
        provider(rec, max_retries=2).generate(request())
    assert len(rec.requests) == 1  # not retried
    sent_key = rec.requests[0].headers.get("x-api-key") or rec.requests[0].headers.get(
        "authorization"
    )
    assert API_KEY in sent_key  # the key was really sent ...
    exc = excinfo.value
    texts = [str(exc), exc.user_message, repr(exc), caplog.text, repr(provider(rec))]
    assert all(API_KEY not in t for t in texts)  # ... and is nowhere else
    assert exc.__cause__ is None and exc.__suppress_context__


def test_missing_key_fails_without_a_request(settings, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ECM_OPS = {**settings.ECM_OPS, "PROVIDER": "anthropic"}
    with pytest.raises(AuthenticationFailed) as excinfo:
        get_provider().generate(request())
    assert "No API key" in excinfo.value.user_message


def test_switching_the_setting_to_anthropic_builds_the_provider_from_settings(
    settings, monkeypatch
):
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "PROVIDER": "anthropic",
        "ANTHROPIC": {"API_KEY": API_KEY, "TIMEOUT": 12.5, "MAX_RETRIES": 4},
    }
    chosen = get_provider()
    assert isinstance(chosen, AnthropicProvider)
    assert chosen.default_model == "claude-sonnet-5-5"
    client = chosen._client
    assert (client.api_key, client.timeout, client.max_retries) == (API_KEY, 12.5, 4)
    assert str(client.base_url).rstrip("/") == "https://api.anthropic.com"
    settings.ECM_OPS = {**settings.ECM_OPS, "PROVIDER": "auto"}
    assert isinstance(get_provider(), AnthropicProvider)  # auto + key = Anthropic


def test_base_url_follows_the_sdk_environment_variable_unless_configured(settings, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/gateway")
    settings.ECM_OPS = {**settings.ECM_OPS, "ANTHROPIC": {"API_KEY": API_KEY}}
    base_url = AnthropicProvider.from_settings()._client.base_url
    assert str(base_url).rstrip("/") == "http://127.0.0.1:9/gateway"
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "ANTHROPIC": {"API_KEY": API_KEY, "BASE_URL": "http://127.0.0.1:9/other"},
    }
    base_url = AnthropicProvider.from_settings()._client.base_url
    assert str(base_url).rstrip("/") == "http://127.0.0.1:9/other"


def test_gateway_base_url_is_where_requests_go():
    rec = Recorder(message(GOOD))
    provider(rec, base_url="http://127.0.0.1:9/gateway").generate(request())
    assert str(rec.requests[0].url) == "http://127.0.0.1:9/gateway/v1/messages"


def test_workers_reuse_one_sdk_client_per_configuration(settings, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    settings.ECM_OPS = {**settings.ECM_OPS, "ANTHROPIC": {"API_KEY": API_KEY}}
    first, second = AnthropicProvider.from_settings(), AnthropicProvider.from_settings()
    assert first._client is second._client
    settings.ECM_OPS = {**settings.ECM_OPS, "ANTHROPIC": {"API_KEY": API_KEY, "TIMEOUT": 5.0}}
    third = AnthropicProvider.from_settings()
    assert third._client is not first._client and third._client.timeout == 5.0
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/gw")
    assert AnthropicProvider.from_settings()._client is not third._client
