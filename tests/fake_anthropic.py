"""A fake of the Anthropic Messages API on ``httpx2.MockTransport``: the real SDK builds and
parses every request and response; nothing leaves the process."""

from __future__ import annotations

import json

import httpx2

from ecm_ops.providers.anthropic import AnthropicProvider

API_KEY = "sk-ant-test-0123456789-SECRET"


def message(
    fields: dict | None = None,
    *,
    text: str | None = None,
    stop_reason: str = "end_turn",
    model: str = "claude-sonnet-5-5",
    usage: dict | None = None,
    stop_details: dict | None = None,
) -> httpx2.Response:
    """A 200 Messages API response whose text is ``fields`` as JSON (or ``text`` verbatim)."""
    body = {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": json.dumps(fields) if text is None else text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage
        or {
            "input_tokens": 120,
            "output_tokens": 300,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 900,
        },
    }
    if stop_details is not None:
        body["stop_details"] = stop_details
    return httpx2.Response(200, json=body, headers={"request-id": "req_test"})


def error(status: int, kind: str, message: str = "error") -> httpx2.Response:
    """An API error response; ``retry-after-ms: 1`` keeps the SDK's retry backoff tiny."""
    return httpx2.Response(
        status,
        json={"type": "error", "error": {"type": kind, "message": message}},
        headers={"retry-after-ms": "1", "request-id": "req_err"},
    )


class Recorder:
    """A MockTransport handler: answers with ``responses`` (a callable or a list used in turn,
    the last one repeating) and records every request."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


def provider(recorder: Recorder, *, max_retries: int = 0, **kwargs) -> AnthropicProvider:
    return AnthropicProvider(
        api_key=API_KEY,
        max_retries=max_retries,
        http_client=httpx2.Client(transport=httpx2.MockTransport(recorder)),
        **kwargs,
    )
