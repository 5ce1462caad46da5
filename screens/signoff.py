"""The sign-off screen: the checklist's roles and deployment fields, who signed what and when."""

from __future__ import annotations

from readiness_tui.screens.common import KeysInOrder, ask, safe, wizard
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui.signoff import field_value, signoff_states

STATE_STYLE = {"valid": "$success", "stale": "bold $warning", "invalid": "bold $error"}


class SignoffScreen(KeysInOrder):
    """Select a role or a deployment field and press enter to sign or fill it in."""

    WIZARD_SCREEN = True  # the app's navigation keys work here

    CSS_PATH = "signoff.tcss"

    BINDINGS = [
        Binding("enter", "edit", "Sign / edit", priority=True),
        Binding("x", "app.export", "Export"),
        Binding("d", "app.deploy", "Deploy steps"),
    ]
    KEYS_HELP = [("↑ ↓", "select a role or a deployment field")]

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with VerticalScroll(id="signoff-scroll"):
            yield Static(id="signoff-score")
            yield OptionList(id="signoff-list")
            yield Static("[$text-muted]A sign-off is bound to the verdicts it saw (statuses, their facts, "
                         "people's decisions), not to timings: re-running the checks keeps it valid while no "
                         "verdict changes; a changed verdict or decision marks it stale, and it must be signed "
                         "again. An SSH key makes it verifiable by others (readiness verify "
                         "--allowed-signers).[/]", id="signoff-note")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch(self.app, "state_version", self._refresh, init=True)
        self.query_one("#signoff-list", OptionList).focus()

    def on_screen_resume(self) -> None:
        if self.focused is None:  # back from a dialog or another screen: the keys go to the list again
            self.query_one("#signoff-list", OptionList).focus()

    def _refresh(self, *_: object) -> None:
        app = wizard(self)
        target = app.target
        record = app.record
        score = app.score
        if record is None or score is None:
            return  # the project is still being read
        self.query_one("#signoff-score", Static).update(
            f"[b]Sign-off[/b]  score {score.percent:.1f}% {safe(score.band)} · run {safe(record.run_id)}")
        try:
            signed = {s["role"]: s for s in signoff_states(target, record)}
        except Exception as exc:  # noqa: BLE001 - a broken signature shows as such, the screen stays up
            signed = {}
            app.toast(f"cannot read the sign-offs: {exc}", severity="error")
        options = self.query_one("#signoff-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_option(Option("[b]Roles[/b]", disabled=True))
        for role in target.checklist.roles:
            s = signed.get(role)
            if s is None:
                text = f"  [$text-muted]○[/] {safe(role):<20} [$text-muted]not signed — enter to sign[/]"
            else:
                state = str(s.get("state", "valid"))
                # Each part after the state is its own clause: a reason never runs into the override.
                tail = []
                if state != "valid" and s.get("reason"):
                    tail.append(safe(str(s["reason"]), limit=120))
                if s.get("override"):
                    tail.append(f"[$warning]override reason: {safe(str(s['override']), limit=120)}[/]")
                text = (f"  [{STATE_STYLE.get(state, '$text')}]{'●' if state == 'valid' else '!'}[/] "
                        f"{safe(role):<20} {safe(str(s.get('name', '')))} at {safe(str(s.get('at', '')))} "
                        f"({safe(str(s.get('user_host', '')))}) [{STATE_STYLE.get(state, '$text')}]"
                        f"{state.upper()}[/]{' [$text-muted]SSH-signed[/]' if s.get('ssh') else ''}"
                        + "".join(f" · {part}" for part in tail))
            options.add_option(Option(text, id=f"role:{role}"))
        options.add_option(Option("[b]Deployment[/b]", disabled=True))
        for field in target.checklist.deployment_fields:
            value, by = field_value(record, field)
            shown = safe(value) if value else "[$text-muted]—[/]"
            who = f" [$text-muted](by {safe(by)})[/]" if by else ""
            options.add_option(Option(f"  {safe(field):<24} {shown}{who}", id=f"field:{field}"))
        if highlighted is not None and highlighted < options.option_count:
            options.highlighted = highlighted
        elif options.option_count > 1:
            options.highlighted = 1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._edit(event.option.id)

    def action_edit(self) -> None:
        option = self.query_one("#signoff-list", OptionList).highlighted_option
        if option is not None:
            self._edit(option.id)

    def _edit(self, option_id: str | None) -> None:
        from readiness_tui.screens.modals import FieldDialog, SignDialog

        app = wizard(self)
        record, score = app.record, app.score
        if not option_id or record is None or score is None:
            return
        kind, _, name = option_id.partition(":")
        if kind == "role":
            top = app.target.checklist.bands[0].id
            below = score.band != top
            intro = (f"Score {score.percent:.1f}% ({safe(score.band)}). Your signature covers the results "
                     "as they are now.")
            if below:
                intro += (f" [$warning]The run is below `{safe(top)}`: signing needs a reason, recorded "
                          "with your signature.[/]")
            ask(self.app,
                SignDialog(name, app.user_name, intro, needs_override=below, ssh_key=app.default_ssh_key()),
                lambda answer: app.write_signoff(name, answer["name"], answer.get("override", ""),
                                                 answer.get("ssh_key", "")))
        else:
            value, _by = field_value(record, name)
            ask(self.app,
                FieldDialog(name, app.target.checklist.field_type(name), value, app.typed_name),
                lambda answer: app.write_deployment_field(name, answer["value"], answer["by"]))
