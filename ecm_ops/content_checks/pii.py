"""Personal data: e-mail addresses and phone numbers (the allow-list exempts the site's own)."""

from __future__ import annotations

import re

from .. import conf
from ..states import Severity
from .registry import BaseCheck

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# International (+44 20 7946 0958) or national with a trunk 0 / area code in brackets; at
# least 9 digits so that years, prices and statistics do not match.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?|\d{2,5}[\s.-])"
    r"\d{2,4}[\s.-]?\d{2,4}(?:[\s.-]?\d{2,4})?(?!\w)"
)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


class PIICheck(BaseCheck):
    check_id = "pii"
    label = "Personal data"

    def run(self, doc, context):
        allow = {a.lower() for a in conf.get("PII_ALLOWLIST")}
        for match in EMAIL.finditer(doc.text):
            if match.group().lower() in allow:
                continue
            yield self.finding(
                doc,
                Severity.BLOCKER,
                match.start(),
                match.end(),
                "An e-mail address appears in the text.",
                suggestion="Remove personal contact details, or add the site's own address to "
                "ECM_OPS['PII_ALLOWLIST'].",
                check_id="pii.email",
            )
        for match in PHONE.finditer(doc.text):
            value = match.group()
            if not 9 <= _digits(value) <= 15 or value.strip() in allow:
                continue
            yield self.finding(
                doc,
                Severity.BLOCKER,
                match.start(),
                match.end(),
                "A phone number appears in the text.",
                suggestion="Remove personal phone numbers; publish only official contact lines.",
                check_id="pii.phone",
            )
