"""Links: internal targets exist and are live; external URLs are well-formed.

No network calls: this check runs on every save. (Link rot of external URLs is monitoring's
job, off the request path, with its SSRF guard.)

Check ids:

- ``links.page`` (blocker when the page does not exist, warning when it exists but is not
  live): ``<a linktype="page" id="…">`` and page chooser blocks.
- ``links.document`` (blocker): ``<a linktype="document" id="…">`` and document choosers
  whose document no longer exists.
- ``links.url`` (warning): ``href`` values and bare ``http(s)://`` URLs in the text whose
  scheme is not http/https, that have no host or a malformed one, contain spaces (also a bare
  URL broken by a space before its path: ``https://example.org /news``), or point at
  ``localhost``, a private, loopback or link-local address, or a name that exists only inside
  a network (``.local``, ``.internal``, ``.lan``, ``.corp``, ``.test``, ``.invalid`` …). ``javascript:``, ``data:``,
  ``vbscript:`` and ``file:`` links are blockers. ``mailto:`` and ``tel:`` links are left to
  the personal-data check; relative links (``/path``, ``#anchor``) are left alone.

Internal targets are resolved with one query per kind per document, or, in a monitoring sweep,
one query per kind for the whole chunk (:meth:`LinksCheck.prepare`).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..states import Severity
from .registry import BaseCheck

BARE_URL = re.compile(r"\b(?:https?|ftp|file)://[^\s<>\"'“”]+", re.I)
# A bare URL followed by " /path": an address broken by a space.
SPACE_THEN_PATH = re.compile(r" /[\w.-]+/?\S*")
# Names that only resolve inside a network (RFC 6762 .local, ICANN's .internal, common
# intranet suffixes) or never resolve (RFC 2606 .test and .invalid).
INTERNAL_SUFFIXES = (".local", ".internal", ".lan", ".corp", ".intranet", ".localdomain",
                     ".home.arpa", ".test", ".invalid")  # fmt: skip
HOST = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                  r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{2,59})$")  # fmt: skip
UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file"}
IGNORED_SCHEMES = {"mailto", "tel", "sms"}


def url_problem(url: str) -> tuple[str, str] | None:
    """``(severity, what is wrong)`` for a URL that is not a well-formed public http(s) URL,
    or None when it is fine (or relative, or mailto/tel)."""
    url = url.strip()
    if not url or url.startswith(("/", "#", "?", "./", "../")):
        return None
    if any(ch.isspace() for ch in url):
        return Severity.WARNING, "it contains spaces"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return Severity.WARNING, "it is malformed"
    scheme = parts.scheme.lower()
    if scheme in UNSAFE_SCHEMES:
        return Severity.BLOCKER, f"'{scheme}:' links are unsafe"
    if scheme in IGNORED_SCHEMES:
        return None
    if not scheme:
        return Severity.WARNING, "it has no scheme (start it with https://)"
    if scheme not in ("http", "https"):
        return Severity.WARNING, f"its scheme '{scheme}' is not http or https"
    host = parts.hostname or ""
    if not host:
        return Severity.WARNING, "it has no host name"
    if port == 0:
        return Severity.WARNING, "its port is invalid"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            return Severity.WARNING, "it points at this computer (localhost)"
        if host.lower().rstrip(".").endswith(INTERNAL_SUFFIXES):
            return Severity.WARNING, f"its host '{host}' only exists inside a private network"
        if not HOST.match(host):
            shown = host if len(host) <= 100 else host[:100] + "…"  # a 5 MB host stays out
            return Severity.WARNING, f"its host name '{shown}' is not valid"
        return None
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or (address.is_reserved or address.is_unspecified)
    ):
        return Severity.WARNING, "it points at a private or internal address"
    return None


class LinksCheck(BaseCheck):
    check_id = "links"
    label = "Links"
    runs_in_thread = False  # resolves internal links in the database

    def prepare(self, batch):
        """One query per link kind for a whole sweep chunk: each document then resolves its
        internal links from ``context.extra`` instead of querying (constant queries per chunk)."""
        from wagtail.documents import get_document_model
        from wagtail.models import Page

        page_ids: set[int] = set()
        document_ids: set[int] = set()
        for doc, _context in batch:
            for link in doc.links:
                if str(link.target).isdigit():
                    if link.kind == "page":
                        page_ids.add(int(link.target))
                    elif link.kind == "document":
                        document_ids.add(int(link.target))
        live = dict(Page.objects.filter(pk__in=page_ids).values_list("pk", "live"))
        found = set(
            get_document_model().objects.filter(pk__in=document_ids).values_list("pk", flat=True)
        )
        for _doc, context in batch:
            context.extra["links.pages"] = live
            context.extra["links.documents"] = found

    def run(self, doc, context):
        internal: dict[str, list[tuple[str, int, int]]] = {"page": [], "document": []}
        linked: set[tuple[int, int]] = set()
        for link, (start, end) in zip(doc.links, doc.link_spans, strict=True):
            if link.kind in internal:
                internal[link.kind].append((link.target, start, end))
            elif link.kind == "url":
                linked.add((start, end))
                yield from self._url(doc, link.target, start, end)
        for match in BARE_URL.finditer(doc.text):
            start, end = match.start(), match.end()
            if any(s <= start < e for s, e in linked if e > s):
                continue
            url = match.group().rstrip(".,;:!?)]")
            broken = SPACE_THEN_PATH.match(doc.text, start + len(url))
            if broken and url == match.group():
                url += broken.group().rstrip(".,;:!?)]")
            yield from self._url(doc, url, start, start + len(url))
        yield from self._pages(doc, internal["page"], context.extra.get("links.pages"))
        yield from self._documents(doc, internal["document"], context.extra.get("links.documents"))

    def _url(self, doc, url, start, end):
        problem = url_problem(url)
        if problem:
            severity, why = problem
            yield self.finding(
                doc,
                severity,
                start,
                end,
                f"The link “{url[:200]}” is not a valid public web address: {why}.",
                suggestion="Fix the address, or remove the link.",
                check_id="links.url",
            )

    def _pages(self, doc, targets, live=None):
        if not targets:
            return
        if live is None:
            from wagtail.models import Page

            ids = {int(t) for t, _s, _e in targets if str(t).isdigit()}
            live = dict(Page.objects.filter(pk__in=ids).values_list("pk", "live"))
        for target, start, end in targets:
            pk = int(target) if str(target).isdigit() else None
            if pk not in live:
                severity, why = Severity.BLOCKER, "does not exist (it may have been deleted)"
            elif not live[pk]:
                severity, why = Severity.WARNING, "is not published"
            else:
                continue
            yield self.finding(
                doc,
                severity,
                start,
                end,
                f"The linked page (id {target}) {why}.",
                suggestion="Link to a published page, or remove the link.",
                check_id="links.page",
            )

    def _documents(self, doc, targets, found=None):
        if not targets:
            return
        if found is None:
            from wagtail.documents import get_document_model

            ids = {int(t) for t, _s, _e in targets if str(t).isdigit()}
            found = set(
                get_document_model().objects.filter(pk__in=ids).values_list("pk", flat=True)
            )
        for target, start, end in targets:
            if str(target).isdigit() and int(target) in found:
                continue
            yield self.finding(
                doc,
                Severity.BLOCKER,
                start,
                end,
                f"The linked document (id {target}) does not exist (it may have been deleted).",
                suggestion="Choose the document again, or remove the link.",
                check_id="links.document",
            )
