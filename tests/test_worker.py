"""The ecm_ops RQ worker warms the checks once in its parent process, then works normally."""

from __future__ import annotations

import pytest

from ecm_ops.jobs.worker import Worker

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_worker_warms_checks_before_working(rq_queue, monkeypatch, demo):
    from ecm_ops.services import screening
    from sandbox_site.content.models import NewsArticle

    calls = []
    monkeypatch.setattr(screening, "warm_up", lambda: calls.append("warm"))
    page = NewsArticle.objects.get(slug="city-opens-new-library")
    run = screening.request_screening(page, trigger="cli", revision=page.latest_revision)
    assert rq_queue.count == 1
    # The default Worker forks a horse per job; that is the case this class exists for.
    Worker([rq_queue], connection=rq_queue.connection).work(burst=True)
    run.refresh_from_db()
    assert calls == ["warm"]
    assert run.status == "succeeded"
