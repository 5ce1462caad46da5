"""Check implementations and their registry.

A check is one function registered under a name with `@check("area.name", "what it checks")`.
It receives a `CheckContext` and returns a `CheckResult`; a plain function runs in a worker
thread, an `async def` on the event loop. Modules in this package are discovered automatically:
adding a check is one file (or one function in an existing file) plus its tests. Check modules
must import heavy libraries (httpx, docker, psycopg, supabase, ...) inside the functions that use
them, so that `readiness check --help` and start-up stay fast.
"""

from checks.base import CHECKS, CheckContext, CheckSpec, check, get_check, load_all

__all__ = ["CHECKS", "CheckContext", "CheckSpec", "check", "get_check", "load_all"]
