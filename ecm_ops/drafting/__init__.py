"""Drafting: brief -> provider request -> field mapping -> draft revision + provenance."""
