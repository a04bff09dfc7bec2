"""Wagtail's ``publish_scheduled``, with scheduled go-live held to the publication invariant.

ecm_ops comes before ``wagtail`` in ``INSTALLED_APPS``, so ``manage.py publish_scheduled``
runs this command. Before Wagtail's own command publishes the due revisions, every due page
revision is judged (:func:`ecm_ops.services.publish_guard.refuse_scheduled`): one that would
publish AI text without the review it needs is unscheduled (its ``approved_go_live_at``
cleared), the refusal is audited and the page's owner told — instead of the publication guard
refusing the save in the middle of Wagtail's loop, which would stop every later go-live.
"""

from wagtail.management.commands.publish_scheduled import Command as WagtailCommand


class Command(WagtailCommand):
    def handle(self, *args, **options):
        if not options.get("dryrun"):
            from ecm_ops.services.publish_guard import refuse_scheduled

            for message in refuse_scheduled():
                self.stderr.write(message)
        return super().handle(*args, **options)
