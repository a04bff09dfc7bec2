"""ecm_ops models, one module per aggregate."""

from ..workflows import RiskTieredReviewTask  # noqa: E402  (a Wagtail Task is a model)
from .certification import (
    CalibrationAnswer,
    CalibrationItem,
    Certification,
    CertificationAttempt,
    CertificationProgramme,
)
from .disclosure import DisclosureLevel, DisclosureRecord
from .drafts import DraftRequest, FieldProvenance
from .evaluation import EvaluationCase, EvaluationResult, EvaluationRun, TemplatePromotion
from .fingerprints import PageFingerprint, PageFingerprintBand
from .governance import (
    EscalationTimer,
    ReviewTier,
    ReviewTierGroupObjectPermission,
    ReviewTierUserObjectPermission,
    RiskPolicy,
    RiskRule,
)
from .monitoring import Incident, MonitoringCheck, OperationsAlert, SweepChunk, SweepRun
from .notifications import EmailStatus, Notification, NotificationKind
from .operations import DailyRollup, DriftAlert, PilotBaseline, RollupRun
from .prompts import PromptTemplate, PromptTemplateVersion, StyleGuide
from .publication import AIShingle, Publication
from .review import (
    Approval,
    ReviewCase,
    ReviewCaseGroupObjectPermission,
    ReviewCaseUserObjectPermission,
)
from .screening import Finding, ScreeningOverride, ScreeningRun
from .style import StyleRulePack

__all__ = [
    "CalibrationAnswer",
    "CalibrationItem",
    "Certification",
    "CertificationAttempt",
    "CertificationProgramme",
    "AIShingle",
    "DailyRollup",
    "DriftAlert",
    "PilotBaseline",
    "RollupRun",
    "Publication",
    "Approval",
    "DisclosureLevel",
    "DisclosureRecord",
    "DraftRequest",
    "EvaluationCase",
    "EvaluationResult",
    "EvaluationRun",
    "TemplatePromotion",
    "EscalationTimer",
    "FieldProvenance",
    "Finding",
    "EmailStatus",
    "Incident",
    "Notification",
    "NotificationKind",
    "MonitoringCheck",
    "OperationsAlert",
    "PageFingerprint",
    "PageFingerprintBand",
    "PromptTemplate",
    "PromptTemplateVersion",
    "ReviewCase",
    "ReviewCaseGroupObjectPermission",
    "ReviewCaseUserObjectPermission",
    "ReviewTier",
    "ReviewTierGroupObjectPermission",
    "ReviewTierUserObjectPermission",
    "RiskPolicy",
    "RiskRule",
    "RiskTieredReviewTask",
    "ScreeningOverride",
    "ScreeningRun",
    "StyleGuide",
    "StyleRulePack",
    "SweepChunk",
    "SweepRun",
]
