"""Wagtail admin screens for ecm_ops. Thin: forms validate input, services do the work."""
