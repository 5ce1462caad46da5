"""Textual screens of the wizard: the app (app.py), its screens and dialogs — the only package that imports Textual."""
