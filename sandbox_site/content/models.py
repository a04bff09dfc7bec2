"""Sandbox page types: a home page, section index pages, news and advice articles."""

from django.conf import settings
from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

# The benchmarks' baseline runs this site without ecm_ops (settings/bench_without.py): the
# page types stay, without ecm_ops's panel.
if "ecm_ops" in settings.INSTALLED_APPS:
    from ecm_ops.admin.panels import AIProvenancePanel
    from ecm_ops.disclosure.api import disclosure_api_field

    AI_PANELS = [AIProvenancePanel()]
    AI_API_FIELDS = [disclosure_api_field()]
else:
    AI_PANELS = []
    AI_API_FIELDS = []


class HomePage(Page):
    intro = RichTextField(blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["content.SectionPage"]


class SectionPage(Page):
    intro = RichTextField(blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["content.NewsArticle", "content.AdviceArticle"]


class NewsArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.NewsArticle", related_name="tagged_items", on_delete=models.CASCADE
    )


class NewsArticle(Page):
    intro = models.TextField(blank=True)
    body = RichTextField(blank=True, features=["h2", "h3", "bold", "italic", "ol", "ul", "link"])
    tags = ClusterTaggableManager(through=NewsArticleTag, blank=True)

    content_panels = Page.content_panels + [
        *AI_PANELS,
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    parent_page_types = ["content.SectionPage"]
    ecm_ops_text_fields = ["intro", "body"]
    api_fields = [*AI_API_FIELDS]


class AdviceArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.AdviceArticle", related_name="tagged_items", on_delete=models.CASCADE
    )


class AdviceArticle(Page):
    """Health or finance advice: higher risk, StreamField body."""

    intro = models.TextField(blank=True)
    body = StreamField(
        [
            (
                "paragraph",
                blocks.RichTextBlock(features=["h2", "h3", "bold", "italic", "ol", "ul", "link"]),
            ),
            (
                "callout",
                blocks.StructBlock([("heading", blocks.CharBlock()), ("text", blocks.TextBlock())]),
            ),
        ],
        blank=True,
    )
    tags = ClusterTaggableManager(through=AdviceArticleTag, blank=True)

    content_panels = Page.content_panels + [
        *AI_PANELS,
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    parent_page_types = ["content.SectionPage"]
    ecm_ops_text_fields = ["intro", "body"]
    api_fields = [*AI_API_FIELDS]
