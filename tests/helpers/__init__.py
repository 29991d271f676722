"""Helpers shared by the core's test modules (never imported by adapters' tests)."""
