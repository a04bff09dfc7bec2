"""A deterministic provider that writes a plausible draft from the brief without any model.

It is public API, not a test mock: sites use it for demos, training and CI. The same brief
always gives the same text; token counts are estimated from word counts.
"""

from __future__ import annotations

import html

from .base import GenerationRequest, GenerationResult, Provider, Usage


def _words(text: str) -> int:
    return len(text.split())


class OfflineProvider(Provider):
    name = "offline"
    default_model = "offline-deterministic-1"

    def generate(self, request: GenerationRequest) -> GenerationResult:
        brief = request.brief
        topic = (brief.get("topic") or "Untitled").strip()
        audience = (brief.get("audience") or "general readers").strip()
        points = [p.strip() for p in brief.get("key_points", []) if p and p.strip()]
        values = {
            "title": topic[:1].upper() + topic[1:],
            "search_description": f"What {audience} need to know about {topic}.",
            "intro": f"This article explains {topic} for {audience}.",
            "body": self._body(topic, audience, points),
        }
        fields = {
            name: values.get(name, f"{name.replace('_', ' ').capitalize()}: {topic}.")
            for name in request.output_fields
        }
        system_words = sum(_words(b.text) for b in request.system)
        usage = Usage(
            input_tokens=_words(request.prompt) + system_words,
            output_tokens=sum(_words(v) for v in fields.values()),
        )
        return GenerationResult(fields=fields, usage=usage, model=self.default_model)

    def rubric(self, request):
        """No model, so no opinion: never any issues (deterministic); input tokens are
        estimated from the word count so that cost accounting has something to record."""
        from .rubric import RubricResult

        return RubricResult(
            issues=[], usage=Usage(input_tokens=_words(request.text)), model=self.default_model
        )

    @staticmethod
    def _body(topic: str, audience: str, points: list[str]) -> str:
        esc = html.escape
        parts = [f"<p>Here is an overview of {esc(topic)}, written for {esc(audience)}.</p>"]
        if points:
            parts.append("<h2>Key points</h2>")
            parts.append("<ul>" + "".join(f"<li>{esc(p)}</li>" for p in points) + "</ul>")
            for point in points:
                parts.append(
                    f"<p>{esc(point[:1].upper() + point[1:])}. This matters because "
                    f"it shapes how {esc(audience)} approach {esc(topic)}.</p>"
                )
        parts.append("<p>An editor will review this draft before it is published.</p>")
        return "".join(parts)
