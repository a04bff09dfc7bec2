"""Personal data in the text.

What it finds (check id, severity) and who decides what a valid number is:

- ``pii.email`` (blocker): e-mail addresses (a pattern: no library validates free text).
- ``pii.phone`` (blocker): phone numbers, found and validated by ``phonenumbers`` (Google's
  libphonenumber metadata, shipped in the package) with ``PhoneNumberMatcher`` at the
  ``VALID`` leniency. International numbers (``+44 20 7946 0958``) are found whatever the
  region; national ones (``(020) 7946 0958``, ``(212) 555-0199``) are read as a number of each
  region in ``ECM_OPS["PII_PHONE_REGIONS"]`` (default ``["GB", "US"]``). Years, prices, scores
  and statistics are not valid numbers of any plan, so they do not match. A cheap pattern
  first picks the digit runs that could be a number, and only those go to the matcher.
- ``pii.card`` (blocker): payment card numbers: 13-19 digits (spaces or dashes allowed) starting
  with a card network's digit (2-6) that pass the Luhn checksum (``stdnum.luhn``).
- ``pii.iban`` (blocker): IBANs valid for their country (``stdnum.iban``: the country's length
  and format, ISO 13616 mod-97, and the national check where the country has one).
- ``pii.national_id`` (blocker): US Social Security numbers (``stdnum.us.ssn``: the ranges the
  SSA never issues and the published sample numbers are excluded), UK National Insurance
  numbers (our own pattern: ``python-stdnum`` has no module for them), German tax ids
  (``stdnum.de.idnr``), French social security numbers (``stdnum.fr.nir``), Spanish DNI and
  NIE (``stdnum.es.dni``/``nie``), Italian codici fiscali (``stdnum.it.codicefiscale``) and
  Dutch citizen service numbers (``stdnum.nl.bsn``). Numbers that are only digits with a weak
  checksum (a German tax id, a Dutch BSN, a US SSN written with spaces) count only with their
  name nearby ("Steuer-ID", "BSN", "social security"), because about one random number in
  eleven passes their check.
- ``pii.ip_address`` (warning): public IPv4 and IPv6 addresses (validated by
  :mod:`ipaddress`), but not version numbers, not private, loopback or link-local addresses
  (they identify no one outside the network) and not the host of a URL (the links check's).

Masking: a finding never holds the value itself. Its excerpt is the value with all but the last
four characters masked (``•••• •••• •••• 1111``; for e-mail the first character and the domain,
``j•••@example.org``) followed by a reference, the first 12 hex digits of an HMAC-SHA256 of the
value keyed with ``SECRET_KEY`` (``ref 3f9a…``): two findings of the same value share it (so an
override of one blocker does not cover another number ending the same), and a short value such
as an SSN cannot be recovered from it by trying every number, as it could from a plain hash.
The finding's offsets still point into the page, which is where the value lives.

The allow-list ``ECM_OPS["PII_ALLOWLIST"]`` exempts exact values: an e-mail address matches
when it is the same address (case-insensitive; ``newsroom@x`` does not exempt
``news.room@x``), an entry starting with ``@`` exempts every address at exactly that domain,
and a number matches when its characters other than spaces, dashes, dots and brackets are the
same (``020 7946 0958`` = ``(020) 7946-0958``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

import phonenumbers
from django.conf import settings
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.us import ssn

from .. import conf
from ..states import Severity
from .registry import BaseCheck, FindingData

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|\(\+?)?\d[\d ().\-/]{5,22}\d(?![\w])")
CARD = re.compile(r"(?<![\w-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
SSN_SPACED = re.compile(r"(?<![\w-])\d{3} \d{2} \d{4}(?![\w-])")
UK_NI = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
DE_IDNR = re.compile(r"(?<![\w.-])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\w-])")
FR_NIR = re.compile(r"(?<![\w-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-])")
ES_DNI = re.compile(r"\b\d{8}-?[A-Z]\b")
ES_NIE = re.compile(r"\b[XYZ]-?\d{7}-?[A-Z]\b")
IT_CF = re.compile(r"\b[A-Z]{6}[0-9LMNP-V]{2}[A-EHLMPR-T][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]\b")
NL_BSN = re.compile(r"(?<![\w.-])\d{4}\.?\d{2}\.?\d{3}(?![\w-])")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{6,39}(?![\w:])")
URL_BEFORE = re.compile(r"://\[?$")
VERSION_BEFORE = re.compile(r"(?:\bv|\bversions?|\breleases?|\bbuilds?)\s*$", re.I)
# The names that must stand near a digits-only number with a weak checksum.
NEAR_SSN = re.compile(r"\b(?:ssns?|social security)\b", re.I)
NEAR_IDNR = re.compile(
    r"\b(?:steuer-?id\w*|steuerliche|identifikationsnummer|idnr|tax (?:id|identification))", re.I
)
NEAR_BSN = re.compile(r"\b(?:bsn|burgerservicenummer|citizen service number|sofi)", re.I)
CONTEXT = 80  # characters before a number searched for its name
# Runs of 7+ digits (with single spaces, dots or dashes): the digits-only detectors look only
# around these, instead of each scanning the whole text (most prose has none).
DIGIT_RUN = re.compile(r"\d[\d .-]{6,}")


def _compact(value: str) -> str:
    return re.sub(r"[\s().\-/]", "", value)


def _near(pattern: re.Pattern):
    def valid(value: str, text: str, start: int, check) -> bool:
        return bool(pattern.search(text, max(0, start - CONTEXT), start)) and check(value)

    return valid


def _checked(module):
    return lambda value, text, start: module.is_valid(_compact(value))


def _ip_ok(value: str, text: str, start: int) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if not address.is_global:  # 10.x, 192.168.x, loopback, link-local: they identify no one
        return False
    if URL_BEFORE.search(text, max(0, start - 12), start):  # in a URL: the links check's job
        return False
    return not ("." in value and VERSION_BEFORE.search(text[max(0, start - 12) : start]))


def _card_ok(value: str, text: str, start: int) -> bool:
    return luhn.is_valid(_compact(value))


def _ssn_spaced(value, text, start):
    return _near(NEAR_SSN)(value, text, start, lambda v: ssn.is_valid(_compact(v)))


def _idnr(value, text, start):
    return _near(NEAR_IDNR)(value, text, start, lambda v: idnr.is_valid(_compact(v)))


def _bsn(value, text, start):
    return _near(NEAR_BSN)(value, text, start, lambda v: bsn.is_valid(_compact(v)))


NATIONAL = "pii.national_id"
REMOVE = "Remove it: personal identifiers must never be published."
# (check id, severity, pattern, validator(value, text, start), message, suggestion), in order of
# precedence: a span taken by an earlier detector is not reported again by a later one.
DETECTORS = [
    ("pii.iban", Severity.BLOCKER, IBAN, _checked(std_iban),
     "A bank account number (IBAN) appears in the text.",
     "Remove it. If it is the organisation's own account, a site admin can add it to the "
     "personal-data allow-list."),
    ("pii.card", Severity.BLOCKER, CARD, _card_ok,
     "A payment card number appears in the text.",
     "Remove it. Card numbers must never be published."),
    (NATIONAL, Severity.BLOCKER, IT_CF, _checked(codicefiscale),
     "An Italian tax code (codice fiscale) appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, FR_NIR, _checked(nir),
     "A French social security number (NIR) appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, DE_IDNR, _idnr,
     "A German tax identification number (Steuer-ID) appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, ES_DNI, _checked(dni),
     "A Spanish identity number (DNI) appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, ES_NIE, _checked(nie),
     "A Spanish foreigner identity number (NIE) appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, NL_BSN, _bsn,
     "A Dutch citizen service number (BSN) appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, SSN, _checked(ssn),
     "A US Social Security number appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, SSN_SPACED, _ssn_spaced,
     "A US Social Security number appears in the text.", REMOVE),
    (NATIONAL, Severity.BLOCKER, UK_NI, None,
     "A UK National Insurance number appears in the text.", REMOVE),
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
]  # fmt: skip
WINDOWED = {CARD, FR_NIR, DE_IDNR, ES_DNI, ES_NIE, NL_BSN, SSN, SSN_SPACED}
PHONE_MESSAGE = "A phone number appears in the text."
PHONE_SUGGESTION = "Remove personal phone numbers; publish only official contact lines."


def mask(value: str) -> str:
    """The value with all but its last four letters or digits masked; for an e-mail address
    the first character and the domain."""
    value = value.strip()
    if "@" in value:
        local, domain = value.rsplit("@", 1)
        return f"{local[:1]}•••@{domain}"
    out, kept = [], 0
    for ch in reversed(value):
        if ch.isalnum():
            kept += 1
            out.append(ch if kept <= 4 else "•")
        else:
            out.append(ch)
    return "".join(reversed(out))


def reference(value: str) -> str:
    """A keyed hash of the value (see the module docstring): equal values, equal references."""
    normal = value.strip().lower() if "@" in value else _compact(value).upper()
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, b"ecm_ops.pii|" + normal.encode(), hashlib.sha256).hexdigest()[:12]


def masked_excerpt(value: str) -> str:
    return f"{mask(value)} (ref {reference(value)})"


class Allowlist:
    """``ECM_OPS["PII_ALLOWLIST"]``, matched exactly (see the module docstring)."""

    def __init__(self, entries) -> None:
        entries = [str(e).strip().lower() for e in entries if str(e).strip()]
        self.addresses = {e for e in entries if "@" in e and not e.startswith("@")}
        self.domains = {e[1:] for e in entries if e.startswith("@")}
        self.numbers = {_compact(e) for e in entries if "@" not in e}

    def allows(self, value: str) -> bool:
        value = value.strip().lower()
        if "@" in value:
            return value in self.addresses or value.rsplit("@", 1)[1] in self.domains
        return _compact(value) in self.numbers


def _digit_windows(text: str) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for run in DIGIT_RUN.finditer(text):
        lo, hi = max(0, run.start() - 3), min(len(text), run.end() + 3)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in taken)


def phone_spans(text: str, regions) -> list[tuple[int, int]]:
    """Offsets of the valid phone numbers in ``text`` (see the module docstring)."""
    found: list[tuple[int, int]] = []
    for candidate in PHONE_CANDIDATE.finditer(text):
        lo = max(0, candidate.start() - 1)
        window = text[lo : candidate.end() + 1]
        for region in regions:
            for match in phonenumbers.PhoneNumberMatcher(
                window, region, leniency=phonenumbers.Leniency.VALID
            ):
                start, end = lo + match.start, lo + match.end
                if not _overlaps(found, start, end):
                    found.append((start, end))
    return found


def detect(text: str):
    """Every personal value in ``text`` that the allow-list does not exempt, as
    ``(check id, severity, start, end, message, suggestion)`` in order of the detectors."""
    allow = Allowlist(conf.get("PII_ALLOWLIST"))
    taken: list[tuple[int, int]] = []  # a card number is not also reported as a phone
    windows = _digit_windows(text)
    for check_id, severity, pattern, valid, message, suggestion in DETECTORS:
        if pattern in WINDOWED:
            matches = (m for lo, hi in windows for m in pattern.finditer(text, lo, hi))
        else:
            matches = pattern.finditer(text)
        for match in matches:
            start, end = match.span()
            value = match.group()
            if _overlaps(taken, start, end):
                continue
            if valid is not None and not valid(value, text, start):
                continue
            taken.append((start, end))  # an allowed number is still not a phone
            if not allow.allows(value):
                yield check_id, severity, start, end, message, suggestion
    for start, end in phone_spans(text, conf.get("PII_PHONE_REGIONS")):
        if _overlaps(taken, start, end) or allow.allows(text[start:end]):
            continue
        yield "pii.phone", Severity.BLOCKER, start, end, PHONE_MESSAGE, PHONE_SUGGESTION


def redact(text: str) -> str:
    """``text`` with every personal value replaced by its masked excerpt, for copies of page
    text that leave the page (the audit export's diff)."""
    spans = sorted((start, end) for _c, _s, start, end, _m, _g in detect(text))
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out.append(text[at:start])
        out.append(masked_excerpt(text[start:end]))
        at = end
    out.append(text[at:])
    return "".join(out)


class PIICheck(BaseCheck):
    check_id = "pii"
    label = "Personal data"

    def run(self, doc, context):
        for check_id, severity, start, end, message, suggestion in detect(doc.text):
            yield self._finding(doc, check_id, severity, start, end, message, suggestion)

    def _finding(self, doc, check_id, severity, start, end, message, suggestion) -> FindingData:
        finding = self.finding(doc, severity, start, end, message, suggestion, check_id=check_id)
        finding.excerpt = masked_excerpt(doc.text[start:end])
        return finding
