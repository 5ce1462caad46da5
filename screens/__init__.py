"""Textual screens of the wizard (the only package besides readiness_tui/app.py that imports Textual)."""
