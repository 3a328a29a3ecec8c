"""Forgeline: operations platform for a cover-glass finishing plant and a secure-handset line."""

__version__ = "0.1.0"
