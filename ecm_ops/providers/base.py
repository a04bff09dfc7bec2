"""The provider interface, its data types and its errors."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from .. import conf


@dataclass(frozen=True)
class SystemBlock:
    """A system prompt block. ``cache=True`` asks the provider to cache it (Anthropic
    ``cache_control``), so repeated drafts with the same style guide pay cache-read prices."""

    text: str
    cache: bool = False


@dataclass(frozen=True)
class GenerationRequest:
    system: tuple[SystemBlock, ...]
    #: The brief and sources, already wrapped in delimiters: data, never instructions.
    prompt: str
    #: Output field name -> what to write there. Providers ask for a JSON object of these.
    output_fields: dict[str, str]
    model: str = ""
    max_tokens: int = 2048
    #: Plain facts about the brief for providers that do not call a model (offline).
    brief: dict = field(default_factory=dict)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


@dataclass
class GenerationResult:
    fields: dict[str, str]
    usage: Usage
    model: str
    stop_reason: str = "end_turn"


class ProviderError(Exception):
    """Base of every provider failure. ``user_message`` is shown to editors."""

    user_message = "The AI provider could not produce a draft. Try again later."

    def __init__(
        self, detail: str = "", user_message: str | None = None, usage: Usage | None = None
    ):
        super().__init__(detail or self.user_message)
        if user_message:
            self.user_message = user_message
        #: Tokens the failed call still consumed (a truncated or refused answer is billed).
        self.usage = usage


class ProviderUnavailable(ProviderError):
    user_message = "The AI provider could not be reached. Try again in a few minutes."


class ProviderTimeout(ProviderError):
    user_message = "The AI provider took too long to answer. Try again, or shorten the brief."


class RateLimited(ProviderError):
    user_message = "The AI provider is rate limiting this site. Wait a minute, then try again."


class Overloaded(ProviderError):
    user_message = "The AI provider is overloaded right now. Try again in a few minutes."


class AuthenticationFailed(ProviderError):
    user_message = (
        "The AI provider rejected this site's API key. Ask a site administrator to check it."
    )


class Refused(ProviderError):
    user_message = "The model declined to write this draft. Rephrase the brief and try again."


class OutputTruncated(ProviderError):
    user_message = (
        "The draft was cut off because it reached the template's token limit. "
        "Ask for a shorter text or raise the template's max tokens."
    )


class MalformedOutput(ProviderError):
    user_message = "The model's answer did not have the expected fields. Try again."


class Provider(abc.ABC):
    """One method: turn a request into fields. Implementations must not touch the ORM."""

    name: str = "provider"
    default_model: str = ""

    @abc.abstractmethod
    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Generate the output fields.

        Raises:
            ProviderError: any failure, as one of its subclasses.
        """

    def rubric(self, request):
        """Judge a text against a rubric (:class:`~ecm_ops.providers.rubric.RubricRequest` ->
        ``RubricResult``). The default asks ``generate`` for a JSON array of issues.

        Raises:
            ProviderError: any failure (MalformedOutput when the answer is not the array).
        """
        from .rubric import rubric_via_generate

        return rubric_via_generate(self, request)


def get_provider() -> Provider:
    """The provider configured by ``ECM_OPS["PROVIDER"]``."""
    choice = conf.get("PROVIDER")
    if choice == "auto":
        choice = "anthropic" if conf.anthropic_api_key() else "offline"
    if choice == "offline":
        from .offline import OfflineProvider

        return OfflineProvider()
    if choice == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider.from_settings()
    return import_string(choice)()


def provider_label() -> str:
    """What the UI says about the provider in use."""
    provider = get_provider()
    return "offline demo provider" if provider.name == "offline" else provider.name
