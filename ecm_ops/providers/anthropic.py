"""The Anthropic provider, on the official ``anthropic`` SDK (2.x, httpx2).

* Structured output: the Messages API ``output_config.format`` JSON schema, one string property
  per output field, all required, nothing else allowed.
* The style guide is its own system block with ``cache_control`` (prompt caching); the brief is
  in the user message, already inside ``<brief>`` delimiters.
* Retries and backoff are the SDK's own (``max_retries``; it honours ``retry-after`` headers).
* SDK errors become :class:`~ecm_ops.providers.base.ProviderError` subclasses whose messages
  never contain the API key or the response body.
* The base URL follows the SDK: ``ANTHROPIC_BASE_URL`` unless ``ECM_OPS["ANTHROPIC"]["BASE_URL"]``
  is set, so a site behind an API gateway works unchanged.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from .. import conf
from .base import (
    AuthenticationFailed,
    GenerationRequest,
    GenerationResult,
    MalformedOutput,
    OutputTruncated,
    Overloaded,
    Provider,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    Refused,
    Usage,
)


class AnthropicProvider(Provider):
    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        client: Any = None,
    ):
        """Build a provider. ``client`` (an ``anthropic.Anthropic``) or ``http_client`` (an
        ``httpx2.Client``, e.g. on a ``MockTransport``) may be injected; otherwise the SDK's
        defaults apply. Unset values come from ``ECM_OPS["ANTHROPIC"]``."""
        settings = conf.get("ANTHROPIC")
        self.default_model = model or settings["MODEL"]
        self.max_tokens = int(max_tokens or settings["MAX_TOKENS"])
        self._client = client
        self._has_key = client is not None or bool(api_key)
        if client is None and api_key:
            options = (
                float(settings["TIMEOUT"] if timeout is None else timeout),
                int(settings["MAX_RETRIES"] if max_retries is None else max_retries),
                base_url or settings["BASE_URL"],
            )
            if http_client is not None:
                self._client = _new_client(api_key, *options, http_client=http_client)
            else:  # one client (and connection pool) per configuration and process
                self._client = _shared_client(
                    api_key, *options, os.environ.get("ANTHROPIC_BASE_URL")
                )

    def __repr__(self) -> str:  # never show the client (it holds the key)
        return f"<AnthropicProvider model={self.default_model!r}>"

    @classmethod
    def from_settings(cls) -> AnthropicProvider:
        """The provider as ``ECM_OPS["ANTHROPIC"]`` and the API key configure it."""
        return cls(api_key=conf.anthropic_api_key())

    # -- the one method -------------------------------------------------------------------

    def generate(self, request: GenerationRequest) -> GenerationResult:
        if not self._has_key:
            raise AuthenticationFailed(
                "No Anthropic API key is configured.",
                user_message="No API key is configured for the AI provider. Ask a site "
                "administrator to set ANTHROPIC_API_KEY (or ECM_OPS['ANTHROPIC']['API_KEY']).",
            )
        import anthropic

        model = request.model or self.default_model
        try:
            message = self._client.messages.create(**self.request_params(request, model))
        except anthropic.AnthropicError as exc:
            raise _map_error(exc) from None
        return self._result(message, request, model)

    def request_params(self, request: GenerationRequest, model: str) -> dict[str, Any]:
        """The ``messages.create`` keyword arguments for ``request`` (public for inspection)."""
        system = []
        for block in request.system:
            param: dict[str, Any] = {"type": "text", "text": block.text}
            if block.cache:
                param["cache_control"] = {"type": "ephemeral"}
            system.append(param)
        max_tokens = min(request.max_tokens or self.max_tokens, self.max_tokens)
        return {
            "model": model,
            "max_tokens": max_tokens,
            "system": system,
            "messages": [{"role": "user", "content": request.prompt}],
            "output_config": {
                "format": {"type": "json_schema", "schema": output_schema(request.output_fields)}
            },
        }

    def _result(self, message, request: GenerationRequest, model: str) -> GenerationResult:
        usage = _usage(getattr(message, "usage", None))
        actual_model = getattr(message, "model", None) or model
        stop = getattr(message, "stop_reason", None)
        if stop == "refusal":
            category = getattr(getattr(message, "stop_details", None), "category", None)
            raise Refused(
                f"stop_reason=refusal category={category}",
                usage=usage,
                user_message=Refused.user_message
                + (f" (policy category: {category.replace('_', ' ')})" if category else ""),
            )
        if stop == "max_tokens":
            raise OutputTruncated("stop_reason=max_tokens", usage=usage)
        if stop == "model_context_window_exceeded":
            raise OutputTruncated(
                "stop_reason=model_context_window_exceeded",
                usage=usage,
                user_message="The brief and sources are too long for the model. Shorten the "
                "sources and try again.",
            )
        text = "".join(
            getattr(block, "text", "")
            for block in getattr(message, "content", None) or []
            if getattr(block, "type", "") == "text"
        )
        fields = parse_fields(text, request.output_fields, usage)
        return GenerationResult(fields=fields, usage=usage, model=actual_model, stop_reason=stop)


def _new_client(api_key, timeout, max_retries, base_url, http_client=None):
    import anthropic

    kwargs: dict[str, Any] = {"api_key": api_key, "timeout": timeout, "max_retries": max_retries}
    if base_url:  # otherwise the SDK reads ANTHROPIC_BASE_URL itself
        kwargs["base_url"] = base_url
    if http_client is not None:
        kwargs["http_client"] = http_client
    return anthropic.Anthropic(**kwargs)


@lru_cache(maxsize=4)
def _shared_client(api_key, timeout, max_retries, base_url, env_base_url):
    """Reuse the SDK client across drafts in a worker (keeps its HTTPS connections alive).
    ``env_base_url`` is only part of the cache key, so a changed ANTHROPIC_BASE_URL is seen."""
    return _new_client(api_key, timeout, max_retries, base_url)


def output_schema(output_fields: dict[str, str]) -> dict[str, Any]:
    """A JSON schema asking for exactly these string fields."""
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "description": description or name}
            for name, description in output_fields.items()
        },
        "required": list(output_fields),
        "additionalProperties": False,
    }


def parse_fields(text: str, output_fields: dict[str, str], usage: Usage) -> dict[str, str]:
    """The output fields from the model's JSON text. Raises MalformedOutput."""
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedOutput("the model's answer is not JSON", usage=usage) from None
    if not isinstance(data, dict):
        raise MalformedOutput("the model's answer is not a JSON object", usage=usage)
    missing = [name for name in output_fields if not isinstance(data.get(name), str)]
    if missing:
        raise MalformedOutput(
            f"missing or non-text field(s): {', '.join(missing)}",
            usage=usage,
            user_message=MalformedOutput.user_message.replace(
                "the expected fields", f"the expected fields ({', '.join(missing)} missing)"
            ),
        )
    return {name: data[name] for name in output_fields}


def _usage(raw) -> Usage:
    if raw is None:
        return Usage()
    return Usage(
        input_tokens=raw.input_tokens or 0,
        output_tokens=raw.output_tokens or 0,
        cache_read_tokens=getattr(raw, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(raw, "cache_creation_input_tokens", None) or 0,
    )


def _map_error(exc) -> ProviderError:
    """An SDK exception as a ProviderError. The detail names the class, status and request id
    only: no response body, no headers, so no key can leak through it."""
    import anthropic

    status = getattr(exc, "status_code", None)
    detail = f"{type(exc).__name__}"
    if status is not None:
        detail += f" (HTTP {status}, type={getattr(exc, 'type', None)}, "
        detail += f"request_id={getattr(exc, 'request_id', None)})"
    if isinstance(exc, anthropic.RateLimitError):
        return RateLimited(detail)
    if isinstance(exc, anthropic.OverloadedError) or status == 529:
        return Overloaded(detail)
    if isinstance(exc, anthropic.APITimeoutError):
        return ProviderTimeout(detail)
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return AuthenticationFailed(detail)
    if isinstance(exc, anthropic.CredentialsError):
        return AuthenticationFailed(type(exc).__name__)
    if isinstance(exc, anthropic.APIConnectionError):
        return ProviderUnavailable(detail)
    if isinstance(exc, anthropic.APIResponseValidationError):
        return MalformedOutput(detail)
    if isinstance(exc, anthropic.InternalServerError):
        return ProviderUnavailable(
            detail, user_message="The AI provider had an internal error. Try again in a minute."
        )
    if isinstance(exc, anthropic.PaymentRequiredError):
        return ProviderError(
            detail,
            user_message="The AI provider refused the request for billing reasons. Ask a site "
            "administrator to check the account.",
        )
    if isinstance(exc, anthropic.BadRequestError | anthropic.NotFoundError):
        return ProviderError(
            detail,
            user_message="The AI provider rejected the request. Ask a site administrator to "
            "check the template's model name and token limits.",
        )
    return ProviderError(detail)
