"""Content checks: canonical text, the check registry, built-in checks and scoring.

(Not called "checks": in Django that word means system checks.)
"""
