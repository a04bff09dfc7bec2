"""The ECM_OPS settings dict: defaults merge, unknown keys are rejected, the cache follows
``override_settings``."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from ecm_ops import conf


def test_unknown_top_level_key_is_rejected_with_the_known_names():
    with override_settings(ECM_OPS={"QUEUEE": "fast"}):
        with pytest.raises(ImproperlyConfigured) as excinfo:
            conf.get("QUEUE")
    message = str(excinfo.value)
    assert "Unknown ECM_OPS setting 'QUEUEE'" in message
    assert "QUEUE" in message.split("Known settings:")[1]


def test_unknown_nested_key_is_rejected_with_its_path():
    with override_settings(ECM_OPS={"ANTHROPIC": {"MODLE": "x"}}):
        with pytest.raises(ImproperlyConfigured, match=r"ANTHROPIC\.'MODLE'"):
            conf.ecm_settings()


def test_settings_must_be_a_dict():
    with override_settings(ECM_OPS=["QUEUE"]):
        with pytest.raises(ImproperlyConfigured, match="must be a dict"):
            conf.ecm_settings()


def test_defaults_merge_with_site_settings_including_nested_dicts():
    with override_settings(ECM_OPS={"MAX_ATTEMPTS": 9, "ANTHROPIC": {"MODEL": "claude-haiku-4"}}):
        effective = conf.ecm_settings()
    assert effective["MAX_ATTEMPTS"] == 9
    assert effective["ANTHROPIC"]["MODEL"] == "claude-haiku-4"
    # The rest of the nested dict and every other key keep their defaults.
    assert effective["ANTHROPIC"]["MAX_TOKENS"] == conf.DEFAULTS["ANTHROPIC"]["MAX_TOKENS"]
    assert effective["QUEUE"] == conf.DEFAULTS["QUEUE"]
    assert set(effective) == set(conf.DEFAULTS)


def test_prices_are_replaced_not_merged():
    # A site's price table replaces ours (its models are the ones it pays for).
    prices = {"my-model": {"input": 1.0, "output": 2.0, "cache_read": 0.0, "cache_write": 0.0}}
    with override_settings(ECM_OPS={"PRICES": prices}):
        assert conf.get("PRICES") == prices


def test_no_site_settings_means_defaults():
    with override_settings(ECM_OPS=None):
        assert conf.ecm_settings() == conf.DEFAULTS


def test_cache_is_cleared_by_override_settings():
    before = conf.get("MAX_ATTEMPTS")
    with override_settings(ECM_OPS={"MAX_ATTEMPTS": before + 7}):
        assert conf.get("MAX_ATTEMPTS") == before + 7
    assert conf.get("MAX_ATTEMPTS") == before


def test_settings_fixture_changes_reach_the_accessor(settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "QUEUE": "ecm-high"}
    assert conf.get("QUEUE") == "ecm-high"


def test_api_key_from_settings_or_environment(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with override_settings(ECM_OPS={"ANTHROPIC": {"API_KEY": None}}):
        assert conf.anthropic_api_key() is None
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
        assert conf.anthropic_api_key() == "sk-env"
    with override_settings(ECM_OPS={"ANTHROPIC": {"API_KEY": "sk-settings"}}):
        assert conf.anthropic_api_key() == "sk-settings"


def test_the_accessor_reads_at_call_time_not_import_time():
    # The cached value is not frozen at import: a changed setting shows on the next call.
    with override_settings(ECM_OPS={"JOB_BACKEND": "rq"}):
        from ecm_ops.jobs import outbox

        assert outbox.backend() == "rq"
    with override_settings(ECM_OPS={"JOB_BACKEND": "inline"}):
        assert outbox.backend() == "inline"


def test_the_readme_documents_every_setting():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [key for key in conf.DEFAULTS if f"| `{key}` |" not in readme]
    assert not missing, f"Run `make settings-table` and paste it into README.md: {missing}"
