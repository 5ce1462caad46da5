"""The start screen: the target as found, what is present and what is missing."""

from __future__ import annotations

from pathlib import Path

from readiness_tui.screens.common import safe, wizard
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from readiness_tui.redact import redact_url
from readiness_tui.settings import Settings

#: (settings field, variable name, what it is for, how to set it)
CREDENTIALS = [
    ("backend_url", "BACKEND_API_URL", "backend API", "BACKEND_API_URL=https://api.example.com in .env"),
    ("frontend_url", "FRONTEND_URL", "Streamlit frontend", "FRONTEND_URL=https://app.example.com in .env"),
    ("supabase_url", "SUPABASE_URL", "Supabase project", "SUPABASE_URL=https://<ref>.supabase.co in .env"),
    ("supabase_key", "SUPABASE_KEY", "Supabase anon key", "SUPABASE_KEY=<anon key> in .env or the keyring"),
    ("database_url", "DATABASE_URL", "Postgres (data checks)",
     "DATABASE_URL=postgresql://… in the environment or readiness.toml [target] database_url"),
    ("redis_url", "REDIS_URL", "Redis", "REDIS_URL=redis://host:6379/0 in the environment or .env"),
    ("pusher_app_key", "PUSHER_APP_KEY", "Pusher (optional)", "PUSHER_APP_KEY and PUSHER_CLUSTER in .env"),
    ("pusher_cluster", "PUSHER_CLUSTER", "Pusher cluster (optional)", "PUSHER_CLUSTER=us2 in .env"),
]
#: URLs shown as they are (password-free by nature); the rest may embed credentials: only "set".
SHOWN_URLS = {"backend_url", "frontend_url", "supabase_url"}


def target_markup(settings: Settings, record_note: str, map_lines: list[str] | None = None) -> str:
    """What the wizard found about the target, as markup (never a secret value); `map_lines` are the project
    map's summary (`ProjectMap.summary_lines`), shown once the map is built."""
    ok, missing = "[$success]✓[/]", "[$error]✗[/]"
    lines = ["[b]Project[/b]", f"  directory   {safe(str(settings.project_dir))}"]
    repo = settings.repo_root
    lines.append(f"  repository  {safe(str(repo)) if repo else '[$warning]not a git repository[/]'}")
    env = settings.env_file
    if env.is_file():
        lines.append(f"  .env        {ok} {safe(str(env))} ({len(settings.env_entries)} keys)")
    else:
        lines.append(f"  .env        {missing} none at {safe(str(env))} — cp .env.example .env")
    config = settings.config_file
    lines.append(f"  readiness.toml {safe(str(config)) if config else '[$text-muted]none (defaults)[/]'}")
    lines.append(f"  run record  {safe(record_note)}")
    if map_lines:
        lines += ["", "[b]Project map[/b] [$text-muted](what the checks read; the JSON report has all of it)[/]"]
        lines += [f"  {safe(line)}" for line in map_lines]
    lines += ["", "[b]Settings and credentials[/b] [$text-muted](values are never shown)[/]"]
    absent = []
    for name, var, what, how in CREDENTIALS:
        value = getattr(settings, name, None)
        source = settings.sources.get(name, "default")
        if value:
            shown = safe(redact_url(value)) if name in SHOWN_URLS else "set"
            lines.append(f"  {ok} {var:<16} {shown} [$text-muted]({source}) — {what}[/]")
        else:
            lines.append(f"  {missing} {var:<16} [$text-muted]missing — {what}[/]")
            absent.append((var, how))
    docker = settings.docker_host or "unix:///var/run/docker.sock"
    socket_ok = settings.docker_host is not None or Path("/var/run/docker.sock").exists()
    lines += ["", "[b]Docker[/b]",
              f"  {ok if socket_ok else missing} {safe(docker)} · container {safe(settings.container)}"
              f" · image {safe(settings.image)}"]
    if absent:
        lines += ["", "[b]What is missing, and how to set it[/b]"]
        lines += [f"  {safe(var)}: {safe(how)}" for var, how in absent]
    lines += ["", "Press [b]→[/b] or [b]enter[/b] to start with section 1, [b]s[/b] for the summary, "
              "[b]?[/b] for every key. Checks run in the background already."]
    return "\n".join(lines)


class StartScreen(Screen[None]):
    """The target as found."""

    WIZARD_SCREEN = True  # the app's navigation keys work here

    # The screen itself scrolls (no scroll container: the first paint stays cheap).
    BINDINGS = [
        # Shown as → in the footer (the same action): the footer fits 80 columns.
        Binding("enter", "app.next_section", "Begin", show=False),
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(id="start-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "state_version", self._refresh, init=True)

    def _refresh(self, *_: object) -> None:
        app = wizard(self)
        text = self.query_one("#start-text", Static)
        if not app.ready:
            text.update(f"Reading the project in {safe(str(app.project_dir))}…")
            return
        record = app.record
        if app.target.store.exists():
            note = (f"resumed: revision {record.revision}, {len(record.results)} results, "
                    f"{len(record.decisions)} decisions, updated {record.updated_at}")
        else:
            note = "new (nothing recorded yet)"
        pm = app.target.project_map
        text.update(target_markup(app.target.settings, note, pm.summary_lines() if pm is not None else None))
