"""The disclosure on Wagtail's API (v2), for headless front ends.

Add the field to a page model's ``api_fields``::

    from ecm_ops.disclosure.api import disclosure_api_field

    class NewsArticle(Page):
        api_fields = [..., disclosure_api_field()]

The page's API response then carries ``"ai_disclosure"``: the level, whether the label is
shown and its text, the exemption and responsible person, the IPTC and schema.org digital
source type values, and the record hash (None when the page has no disclosure record).
"""

from __future__ import annotations

from rest_framework import serializers
from wagtail.api import APIField

from . import present


class DisclosureField(serializers.Field):
    """Read-only: the disclosure of what is live on the page (``source="*"``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, page):
        record = present.latest(page)
        if record is None:
            return None
        fields = present.machine_fields(record)
        fields["published_at"] = record.created_at.isoformat()
        return fields


def disclosure_api_field(name: str = "ai_disclosure") -> APIField:
    return APIField(name, serializer=DisclosureField())
