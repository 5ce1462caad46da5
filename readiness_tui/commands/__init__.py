"""Subcommands of `readiness`, one module each (see `readiness_tui.cli`)."""
