"""The built-in checks.

Each module registers its checks with `readiness_tui.checkapi.check` and is named in the
`readiness_tui.checks` entry-point group of `pyproject.toml`, exactly as a plugin's would be.
Check modules import heavy libraries (httpx, docker, psycopg, supabase, ...) inside the functions
that use them, so that `readiness check --help` and start-up stay fast. Modules whose name starts
with `_` hold helpers shared by several checks.
"""
