"""Governance: which policy applies, which tier a piece gets and why, and who may approve."""
