"""Demo certification programmes: one per risk policy, each with a calibration exercise of
seeded past drafts with known defects, the demo reviewers certified and one reviewer
("lapsed") whose certification has expired (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ecm_ops.models import CalibrationItem, Certification, CertificationProgramme

NEWS_GUIDANCE = (
    "Approve only what you would sign yourself. Check every fact against the brief and the "
    "sources: names, dates, amounts. Send back anything that reads like a model talking about "
    "itself, personal contact details of private people, and claims nobody can check."
)
HEALTH_GUIDANCE = (
    "Health & Money content can harm readers. Every medical or financial claim needs a source "
    "a reader can check; no individual advice (doses, products, returns); no personal data. "
    "When in doubt, request changes and say what is missing."
)

#: (title, brief, content, defect, defective words, severity, explanation)
ITEMS = [
    (
        "Vitamin advice",
        "Explain what vitamin D does; no dosage advice.",
        "Vitamin D helps the body absorb calcium. Taking vitamin D cures depression in a week, "
        "so everyone should take it daily.",
        "unsupported_claim",
        "cures depression in a week",
        "blocker",
        "A medical claim with no source (and a wrong one): always a blocker.",
    ),
    (
        "Library opening hours",
        "Tell readers the new opening hours.",
        "The central library now opens at 8am. For questions write to "
        "jane.doe.private@gmail.com, the librarian's personal address.",
        "personal_data",
        "jane.doe.private@gmail.com",
        "blocker",
        "A private person's e-mail address must never be published.",
    ),
    (
        "Recycling changes",
        "Explain the new recycling collection days.",
        "Bins are now collected on Tuesdays. As an AI language model, I cannot verify local "
        "collection schedules.",
        "ai_refusal",
        "As an AI language model, I cannot verify",
        "blocker",
        "A model's refusal sentence left in the text.",
    ),
    (
        "Budget vote",
        "The council agreed a 2% rise in the parks budget on Tuesday.",
        "The council agreed a 12% rise in the parks budget on Tuesday.",
        "factual_change",
        "12%",
        "warning",
        "The brief says 2%; the draft says 12%. A subtle factual change against the brief.",
    ),
    (
        "Sleep basics",
        "How much sleep adults need, in general terms.",
        "Most adults need seven to nine hours of sleep a night. Speak to your GP if you often "
        "feel tired during the day.",
        "none",
        "",
        "blocker",
        "A clean item: nothing to change.",
    ),
]


def _programme(policy, name, guidance):
    programme, created = CertificationProgramme.objects.get_or_create(
        policy=policy,
        tier=None,
        defaults={
            "name": name,
            "guidance": guidance,
            "validity_days": 365,
            "reminder_days": 30,
            "pass_catch_rate": 0.75,
        },
    )
    if created or not programme.items.exists():
        for order, (title, brief, content, defect, excerpt, severity, why) in enumerate(ITEMS):
            CalibrationItem.objects.create(
                programme=programme,
                sort_order=order,
                title=title,
                brief=brief,
                content=content,
                defect=defect,
                defect_excerpt=excerpt,
                severity=severity,
                explanation=why,
            )
    return programme


def _certify(user, programme, passed_days_ago: int):
    passed = timezone.now() - timedelta(days=passed_days_ago)
    if not Certification.objects.filter(user=user, programme=programme).exists():
        Certification.objects.create(
            user=user,
            programme=programme,
            passed_at=passed,
            expires_at=Certification.expiry_for(programme, passed),
            score=1.0,
        )


def seed_certification(policies: dict, users: dict) -> dict:
    """Programmes for ``policies`` (``{"news": policy, "health": policy}``); certify
    ``senior`` and ``legal``; ``lapsed`` passed News 400 days ago (expired)."""
    news = _programme(policies["news"], "News reviewer certification", NEWS_GUIDANCE)
    health = _programme(
        policies["health"], "Health & Money reviewer certification", HEALTH_GUIDANCE
    )
    for programme in (news, health):
        _certify(users["senior"], programme, 30)
    _certify(users["legal"], health, 30)
    _certify(users["lapsed"], news, 400)
    return {"news": news, "health": health}
