"""Import a Vale-style folder of ``*.yml`` rules as a StyleRulePack.

    manage.py ecm_ops_import_vale PATH --name PACK [--vocabulary accept.txt] [--replace]
        [--disabled]

Each file is one rule named after the file (``Hedging.yml`` -> rule ``Hedging``). Rules of a
type ecm_ops does not support, and files that are not valid YAML, are skipped and listed;
the rest are imported. An existing pack of that name is only overwritten with ``--replace``.
``--vocabulary`` reads accepted words (Vale's ``config/vocabularies/<Name>/accept.txt``).
Keys and scopes ecm_ops ignores are printed as warnings.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from ...content_checks.style import load_folder
from ...models import StyleRulePack


class Command(BaseCommand):
    help = "Import a folder of Vale-style .yml rules as a style rule pack."

    def add_arguments(self, parser):
        parser.add_argument("path", help="A folder of Vale-style *.yml rule files.")
        parser.add_argument("--name", required=True, help="The pack's name (a slug).")
        parser.add_argument("--replace", action="store_true", help="Overwrite a pack of that name.")
        parser.add_argument("--disabled", action="store_true", help="Import it switched off.")
        parser.add_argument("--vocabulary", help="A Vale accept.txt: accepted words, one per line.")

    def handle(self, *args, path, name, replace, disabled, vocabulary=None, **options):
        folder = Path(path)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder of .yml rule files.", returncode=2)
        slug = slugify(name)
        if not slug:
            raise CommandError("--name must contain letters or digits.", returncode=2)
        rules, problems = load_folder(folder)
        for problem in problems:
            self.stderr.write(f"skipped {problem}")
        if not rules:
            raise CommandError(f"No usable rules in {folder}.", returncode=2)
        existing = StyleRulePack.objects.filter(name=slug).first()
        if existing and not replace:
            raise CommandError(
                f"A rule pack named {slug!r} exists; pass --replace to overwrite it.",
                returncode=2,
            )
        pack = existing or StyleRulePack(name=slug)
        pack.source = yaml.safe_dump(rules, sort_keys=True, allow_unicode=True)
        pack.enabled = not disabled
        if vocabulary:
            try:
                pack.vocabulary = Path(vocabulary).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Cannot read {vocabulary}: {exc}", returncode=2) from exc
        pack.description = pack.description or f"Imported from {folder.name}/"
        try:
            pack.save()
        except ValidationError as exc:  # a bad vocabulary, or a pack too slow as a whole
            raise CommandError("; ".join(exc.messages), returncode=2) from exc
        for warning in pack.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"{'Replaced' if existing else 'Created'} rule pack {slug!r} with {len(rules)} "
            f"rule(s); {len(problems)} skipped."
        )
