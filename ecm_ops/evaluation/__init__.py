"""Prompt evaluation: typed assertions, YAML suites and the run that judges a version."""
