from django.core.management.base import BaseCommand

from sandbox_site.content.demo_data import DEMO_USERS, seed


class Command(BaseCommand):
    help = "Seed the sandbox with demo users, sections, risk policies, templates and pages (idempotent)."

    def handle(self, *args, **options):
        demo = seed()
        from sandbox_site.content.demo_operations import seed_operations

        seed_operations(demo)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /admin/ as:"))
        for username, (password, role, _groups, _su) in DEMO_USERS.items():
            self.stdout.write(f"  {username:8} / {password:16} {role}")
