"""Template tags for the AI disclosure of a published page (issue 12).

    {% load ecm_ops_disclosure %}
    <head>... {% ecm_ops_disclosure_head page %} </head>
    <body>... {% ecm_ops_disclosure page %} ... {% ecm_ops_disclosure page style="eu_icon" %}

The label renders only when the disclosure made at publication says readers see it (the
site's table and the section settings at that moment; always for unreviewed AI text), or with
``always=True``. Nothing renders for a page that has no disclosure record (not live, or
published before ecm_ops was installed).
"""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..conf import ecm_settings
from ..disclosure import levels, present

register = template.Library()


@register.inclusion_tag("ecm_ops/disclosure/label.html", takes_context=True)
def ecm_ops_disclosure(context, page=None, style=None, always=False):
    page = page if page is not None else context.get("page")
    record = present.latest(page)
    if record is None or not (record.label_shown or always):
        return {"record": None}
    style = style or ecm_settings()["DISCLOSURE"]["STYLE"]
    if style not in ("default", "eu_icon"):
        style = "default"
    return {
        "record": record,
        "level_name": levels.DisclosureLevel(record.level).label,
        "style": style,
        "explanation_url": present.explanation_url(),
        "evidence_url": present.evidence_url(page),
        "responsible": record.responsible_name if record.exemption else "",
    }


@register.simple_tag(takes_context=True)
def ecm_ops_disclosure_head(context, page=None, css=True):
    """``<meta>`` tags, schema.org JSON-LD and (``css=True``) the label's stylesheet."""
    page = page if page is not None else context.get("page")
    record = present.latest(page)
    if record is None:
        return ""
    request = context.get("request")
    fields = present.machine_fields(record)
    parts = [
        format_html('<meta name="ai-disclosure" content="{}">', record.level),
    ]
    if fields["iptc_digital_source_type"]:
        parts.append(
            format_html(
                '<meta name="digital-source-type" content="{}">',
                fields["iptc_digital_source_type"],
            )
        )
    parts.append(
        format_html(
            '<script type="application/ld+json">{}</script>',
            mark_safe(present.script_json(present.json_ld(page, record, request))),  # noqa: S308
        )
    )
    if css:
        parts.append(
            format_html('<link rel="stylesheet" href="{}">', static("ecm_ops/css/disclosure.css"))
        )
    return mark_safe("\n".join(parts))  # noqa: S308  (every part is escaped above)
