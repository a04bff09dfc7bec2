"""Personal data in the text.

What it finds (check id, severity):

- ``pii.email`` (blocker): e-mail addresses.
- ``pii.phone`` (blocker): phone numbers with 9 to 15 digits: international
  (``+44 20 7946 0958``), national with a trunk 0 (``(020) 7946 0958``) or North American
  (``(555) 010-4477``, ``555-010-4477``); years, prices, scores and statistics do not match.
- ``pii.card`` (blocker): payment card numbers, 13-19 digits (spaces or dashes allowed) that
  pass the Luhn checksum.
- ``pii.iban`` (blocker): IBANs (country code, check digits, 11-30 more characters) that pass
  the ISO 13616 mod-97 check.
- ``pii.national_id`` (blocker): US Social Security numbers in the ``123-45-6789`` form (with
  the ranges the SSA never issues excluded: 000, 666, 9xx area; 00 group; 0000 serial) and UK
  National Insurance numbers (``QQ 12 34 56 C``: two letters from the allowed set, not the
  BG/GB/NK/KN/TN/NT/ZZ prefixes, six digits, suffix A-D).
- ``pii.ip_address`` (warning): IPv4 and IPv6 addresses (validated by :mod:`ipaddress`), but
  not version numbers: a dotted quad right after "v", "version", "release" or "build", or one
  that is part of a longer dotted number (``1.2.3.4.5``), is left alone.

The allow-list ``ECM_OPS["PII_ALLOWLIST"]`` exempts exact values (case-insensitive; numbers
also match ignoring spaces and dashes), and entries starting with ``@`` exempt every address
at that domain (``"@example.org"``), e.g. the site's own contact details.
"""

from __future__ import annotations

import ipaddress
import re

from .. import conf
from ..states import Severity
from .registry import BaseCheck

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,5}\)[\s.-]?)?\d{1,5}(?:[\s.-]?\d{2,5}){1,4}"  # +44 20 ...
    r"|\(?0\d{1,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # national, trunk 0: 020 7946 0958
    r"|\(\d{3}\)\s?\d{3}[-.\s]\d{4}|\d{3}[-.]\d{3}[-.]\d{4}"  # North American
    r")(?!\w)"
)
CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
UK_NI = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{6,39}(?![\w:])")
VERSION_BEFORE = re.compile(r"(?:\bv|\bversions?|\breleases?|\bbuilds?)\s*$", re.I)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _ip_ok(value: str, text: str, start: int) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return not ("." in value and VERSION_BEFORE.search(text[max(0, start - 12) : start]))


# (check id, severity, pattern, validator, message, suggestion)
DETECTORS = [
    ("pii.card", Severity.BLOCKER, CARD, lambda v, t, s: luhn_ok(_digits(v)),
     "A payment card number appears in the text.",
     "Remove it. Card numbers must never be published."),
    ("pii.iban", Severity.BLOCKER, IBAN, lambda v, t, s: iban_ok(v),
     "A bank account number (IBAN) appears in the text.",
     "Remove it. If it is the organisation's own account, a site admin can add it to the "
     "personal-data allow-list."),
    ("pii.national_id", Severity.BLOCKER, SSN, None,
     "A US Social Security number appears in the text.", "Remove it."),
    ("pii.national_id", Severity.BLOCKER, UK_NI, None,
     "A UK National Insurance number appears in the text.", "Remove it."),
    ("pii.email", Severity.BLOCKER, EMAIL, None,
     "An e-mail address appears in the text.",
     "Remove personal contact details. If it is the site's own address, a site admin can add "
     "it to the personal-data allow-list."),
    ("pii.ip_address", Severity.WARNING, IPV4, _ip_ok,
     "An IP address appears in the text.",
     "Remove it unless it is a documented public address."),
    ("pii.ip_address", Severity.WARNING, IPV6, _ip_ok,
     "An IP address appears in the text.",
     "Remove it unless it is a documented public address."),
    ("pii.phone", Severity.BLOCKER, PHONE, lambda v, t, s: 9 <= len(_digits(v)) <= 15,
     "A phone number appears in the text.",
     "Remove personal phone numbers; publish only official contact lines."),
]  # fmt: skip


def _allowed(value: str, allow: set[str], domains: tuple[str, ...]) -> bool:
    lowered = value.strip().lower()
    if lowered in allow:
        return True
    if domains and "@" in lowered and lowered.endswith(domains):
        return True
    compact = re.sub(r"[\s.-]", "", lowered)
    return compact in allow


class PIICheck(BaseCheck):
    check_id = "pii"
    label = "Personal data"

    def run(self, doc, context):
        entries = [str(a).strip().lower() for a in conf.get("PII_ALLOWLIST")]
        allow = set(entries) | {re.sub(r"[\s.-]", "", a) for a in entries}
        domains = tuple(a for a in entries if a.startswith("@"))
        taken: list[tuple[int, int]] = []  # a card number is not also reported as a phone
        text = doc.text
        for check_id, severity, pattern, valid, message, suggestion in DETECTORS:
            for match in pattern.finditer(text):
                start, end = match.span()
                value = match.group()
                if any(s < end and start < e for s, e in taken):
                    continue
                if valid is not None and not valid(value, text, start):
                    continue
                if _allowed(value, allow, domains):
                    continue
                taken.append((start, end))
                yield self.finding(
                    doc, severity, start, end, message, suggestion=suggestion, check_id=check_id
                )
