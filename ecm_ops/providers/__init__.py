"""LLM providers behind one small interface.

Exception tree::

    ProviderError                 (user_message says what happened and what to do next)
     +-- ProviderUnavailable      (network, connection refused)
     +-- ProviderTimeout
     +-- RateLimited              (HTTP 429, after retries)
     +-- Overloaded               (HTTP 529, after retries)
     +-- AuthenticationFailed     (bad or missing API key)
     +-- Refused                  (the model declined)
     +-- OutputTruncated          (stop_reason max_tokens)
     +-- MalformedOutput          (not the JSON the schema asked for)

Providers never touch the ORM: they take a :class:`GenerationRequest` and return a
:class:`GenerationResult`.
"""

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
    SystemBlock,
    Usage,
    get_provider,
)

__all__ = [
    "AuthenticationFailed",
    "GenerationRequest",
    "GenerationResult",
    "MalformedOutput",
    "OutputTruncated",
    "Overloaded",
    "Provider",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "Refused",
    "SystemBlock",
    "Usage",
    "get_provider",
]
