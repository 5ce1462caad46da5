"""The start screen: the target as found, what is present and what is missing."""

from __future__ import annotations

from pathlib import Path

from readiness_tui.screens.common import KeysInOrder, safe, wizard
from textual.app import ComposeResult
from textual.binding import Binding
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
HINT = "[b]→[/b] or [b]enter[/b]: section 1 · [b]s[/b] summary · [b]/[/b] find an item · [b]?[/b] every key"


def target_markup(settings: Settings, record_note: str, map_lines: list[str] | None = None) -> str:
    """What the wizard found about the target, as markup (never a secret value); lines fit 80 columns.
    `map_lines` are the project map's summary (`ProjectMap.summary_lines`), shown once the map is built."""
    ok, missing = "[$success]✓[/]", "[$error]✗[/]"
    lines = ["[b]Project[/b]", f"  directory   {safe(settings.project_dir)}"]
    repo = settings.repo_root
    if repo is None:
        lines.append("  repository  [$warning]not a git repository[/]")
    elif Path(repo) != Path(settings.project_dir):
        lines.append(f"  repository  {safe(repo)}")
    env = settings.env_file
    if env.is_file():
        lines.append(f"  .env        {ok} {len(settings.env_entries)} keys")
    else:
        lines.append(f"  .env        {missing} none — cp .env.example .env")
    config = settings.config_file
    lines.append(f"  config      {safe(Path(config).name) if config else '[$text-muted]none (defaults)[/]'}")
    lines.append(f"  run record  {safe(record_note)}")
    if settings.keyring_note:
        lines.append("  keyring     [$warning]none[/] [$text-muted]— using the environment and .env (k: details)[/]")
    if map_lines:
        lines += ["", "[b]Project map[/b] [$text-muted](what the checks read; the JSON report has it all)[/]"]
        lines += [f"  {safe(line, limit=76)}" for line in map_lines]
    lines += ["", "[b]Settings and credentials[/b] [$text-muted](values are never shown)[/]"]
    absent = []
    for name, var, what, how in CREDENTIALS:
        value = getattr(settings, name, None)
        source = settings.sources.get(name, "default")
        if value:
            shown = safe(redact_url(value)) if name in SHOWN_URLS else "set"
            lines.append(f"  {ok} {var:<16} {shown} [$text-muted]({safe(source)})[/]")
        else:
            lines.append(f"  {missing} {var:<16} [$text-muted]missing — {what}[/]")
            absent.append((var, how))
    docker = settings.docker_host or "unix:///var/run/docker.sock"
    socket_ok = settings.docker_host is not None or Path("/var/run/docker.sock").exists()
    lines += ["", "[b]Docker[/b]",
              f"  {ok if socket_ok else missing} {safe(docker)}{'' if socket_ok else ' [$text-muted](no socket)[/]'}",
              f"    container {safe(settings.container)} · image {safe(settings.image)}"]
    if absent:
        lines += ["", "[b]What is missing, and how to set it[/b]"]
        lines += [f"  {safe(var)}: {safe(how)}" for var, how in absent]
    return "\n".join(lines)


class StartScreen(KeysInOrder):
    """The target as found."""

    WIZARD_SCREEN = True  # the app's navigation keys work here

    # The screen itself scrolls (no scroll container: the first paint stays cheap).
    BINDINGS = [
        # Shown as → in the footer (the same action): the footer fits 80 columns.
        Binding("enter", "app.next_section", "Begin", show=False),
        Binding("s", "app.show_summary", "Summary"),
        Binding("g", "app.show_signoff", "Sign-off"),
        Binding("k", "app.credentials", "Credentials"),
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]
    KEYS_HELP = [("↑ ↓ pgup pgdn", "scroll"), ("enter", "begin with section 1")]

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(HINT, id="start-hint")
        yield Static(id="start-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch(self.app, "state_version", self._refresh, init=True)

    def _refresh(self, *_: object) -> None:
        app = wizard(self)
        text = self.query_one("#start-text", Static)
        if not app.ready:
            text.update(f"Reading the project in {safe(app.project_dir)}…")
            return
        pm = app.target.project_map
        text.update(target_markup(app.target.settings, app.record_note,
                                  pm.summary_lines() if pm is not None else None))
