"""Dialogs: each is a ModalScreen that dismisses with its answer (or None when cancelled)."""

from __future__ import annotations

from datetime import date, timedelta

from readiness_tui.screens.common import safe
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from readiness_tui.checklist import Item

Answer = dict[str, str]


class FormDialog(ModalScreen[Answer | None]):
    """A small form: labelled inputs, required fields checked before it closes.

    Enter in the last field (or the OK button) submits; Escape cancels.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    TITLE_TEXT = ""
    SUBMIT = "OK"

    def __init__(self, fields: list[tuple[str, str, str, bool]], intro: str = "") -> None:
        """`fields`: (key, label, initial value, required)."""
        super().__init__()
        self.fields = fields
        self.intro = intro

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]{safe(self.TITLE_TEXT)}[/b]", classes="dialog-title")
            if self.intro:
                yield Static(self.intro, classes="dialog-intro")
            for key, text, value, required in self.fields:
                yield Label(f"{safe(text)}{' (required)' if required else ''}")
                yield Input(value=value, id=f"field-{key}", compact=True)
            yield Static("", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.SUBMIT, variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        inputs = list(self.query(Input))
        empty = [i for i in inputs if not i.value]
        (empty[0] if empty else inputs[0]).focus()

    def answer(self) -> Answer:
        """The values typed, stripped."""
        return {key: self.query_one(f"#field-{key}", Input).value.strip() for key, *_ in self.fields}

    def problem(self, answer: Answer) -> str:
        """What is wrong with the answer, or an empty string."""
        for key, text, _, required in self.fields:
            if required and not answer[key]:
                return f"{text} is required"
        return ""

    def submit(self) -> None:
        answer = self.answer()
        problem = self.problem(answer)
        if problem:
            self.query_one("#dialog-error", Static).update(f"[$error]{safe(problem)}[/]")
            return
        self.dismiss(answer)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        position = inputs.index(event.input)
        if position + 1 < len(inputs):
            inputs[position + 1].focus()
        else:
            self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _item_intro(item: Item, stale: str = "") -> str:
    """The item, and which valid sign-offs the decision would make stale (said before it is made)."""
    intro = f"{item.id}  {safe(item.text)}"
    if stale:
        intro += f"\n[$warning]This changes a decision: the sign-offs of {safe(stale)} will be stale.[/]"
    return intro


class ConfirmDialog(FormDialog):
    """Confirm an item: a name and an optional note."""

    TITLE_TEXT = "Confirm item"
    SUBMIT = "Confirm"

    def __init__(self, item: Item, name: str, stale: str = "") -> None:
        super().__init__([("name", "Your name", name, True), ("note", "Note (optional)", "", False)],
                         _item_intro(item, stale))


class NotApplicableDialog(FormDialog):
    """Mark an item not applicable: a name, the reason, and on a critical item an approver other than you."""

    TITLE_TEXT = "Not applicable"
    SUBMIT = "Mark N/A"

    def __init__(self, item: Item, name: str, stale: str = "") -> None:
        fields = [("name", "Your name", name, True), ("reason", "Why it does not apply", "", True)]
        if item.critical:
            fields.append(("approver", "Approver (someone else: the item is critical)", "", True))
        super().__init__(fields, _item_intro(item, stale))

    def problem(self, answer: Answer) -> str:
        problem = super().problem(answer)
        if problem:
            return problem
        if "approver" in answer and answer["approver"].casefold() == answer["name"].casefold():
            return "the approver must be someone other than you"
        return ""


class WaiveDialog(FormDialog):
    """Waive an item: reason, an approver other than you, an expiry date."""

    TITLE_TEXT = "Waive (accept the risk)"
    SUBMIT = "Waive"

    def __init__(self, item: Item, name: str, today: date | None = None, stale: str = "") -> None:
        expires = ((today or date.today()) + timedelta(days=30)).isoformat()
        super().__init__(
            [("name", "Your name", name, True), ("reason", "Reason", "", True),
             ("approver", "Approver (someone else)", "", True), ("expires", "Expires (YYYY-MM-DD)", expires, True)],
            _item_intro(item, stale),
        )

    def problem(self, answer: Answer) -> str:
        problem = super().problem(answer)
        if problem:
            return problem
        if answer["approver"].casefold() == answer["name"].casefold():
            return "the approver must be someone other than you"
        try:
            date.fromisoformat(answer["expires"])
        except ValueError:
            return "the expiry date must be YYYY-MM-DD"
        return ""


class SignDialog(FormDialog):
    """Sign a role: the signer's name, an override reason below the top band, an optional SSH key.

    Below `ready` the signing core refuses a sign-off without a reason; the dialog asks for it
    up front (required) so the reason is typed here and recorded with the signature. With an SSH
    key (a private key file, or the `.pub` of a key held by ssh-agent) the sign-off is signed with
    `ssh-keygen -Y sign`, as `readiness sign --ssh-key` does; the name is then the principal a
    verifier's allowed_signers file lists. Enter submits from any field (tab reaches the optional
    key field).
    """

    TITLE_TEXT = "Sign off"
    SUBMIT = "Sign"

    def __init__(self, role: str, name: str, intro: str, needs_override: bool = False, ssh_key: str = "") -> None:
        self.TITLE_TEXT = f"Sign off as {role}"
        self.needs_override = needs_override
        fields = [("name", "Your name", name, True)]
        if needs_override:
            fields.append(("override", "Override reason: why sign below ready (recorded)", "", True))
        fields.append(("ssh_key", "SSH key to sign with (optional): a private key, or the .pub of an "
                                  "ssh-agent key", ssh_key, False))
        super().__init__(fields, intro)

    def answer(self) -> Answer:
        answer = super().answer()
        answer.setdefault("override", "")
        return answer

    def problem(self, answer: Answer) -> str:
        problem = super().problem(answer)
        if problem or not answer["ssh_key"]:
            return problem
        from pathlib import Path

        from readiness_tui.attestation import principal_for
        from readiness_tui.errors import UsageError

        if not Path(answer["ssh_key"]).expanduser().is_file():
            return f"{answer['ssh_key']}: no such SSH key file"
        try:
            principal_for(answer["name"])
        except UsageError as exc:
            return str(exc)
        return ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.prevent_default()  # not FormDialog's "next field": the key field is optional, tab reaches it
        self.submit()


class PassphraseDialog(FormDialog):
    """The passphrase of the SSH key a sign-off is being signed with (kept in memory for that signature only)."""

    TITLE_TEXT = "SSH key passphrase"
    SUBMIT = "Sign"

    def __init__(self, key: str) -> None:
        super().__init__([("passphrase", "Passphrase", "", True)],
                         f"{safe(key)} is encrypted. Its passphrase is passed to ssh-keygen only; it is "
                         "never stored. (Or add the key to ssh-agent and give its .pub file.)")

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Input):
                widget.password = True  # masked from the first frame
            yield widget


class FieldDialog(FormDialog):
    """Record one deployment field, checked against its type, and who records it (asked, never assumed)."""

    TITLE_TEXT = "Deployment field"
    HINTS = {"date": "YYYY-MM-DD", "time": "HH:MM or HH:MM:SS, optionally UTC or ±HH:MM", "yes/no": "yes or no",
             "person": "a name", "text": "one line"}

    def __init__(self, field: str, kind: str, value: str, by: str) -> None:
        self.TITLE_TEXT = field
        self.kind = kind
        super().__init__([("value", f"{field} ({self.HINTS.get(kind, kind)})", value, True),
                          ("by", "Recorded by (your name)", by, True)])

    def problem(self, answer: Answer) -> str:
        problem = super().problem(answer)
        if problem:
            return problem
        from readiness_tui.errors import UsageError
        from readiness_tui.signoff import field_value_for, person

        try:
            field_value_for(self.kind, answer["value"], self.TITLE_TEXT)
            person(answer["by"], "Recorded by")
        except UsageError as exc:
            return str(exc)
        return ""


class ConfirmActionDialog(ModalScreen[bool]):
    """Ask before an action whose consequence the person should know (it makes sign-offs stale)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("y", "go", "Yes")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]{safe(self.title_text)}[/b]", classes="dialog-title")
            yield Static(self.text, classes="dialog-intro")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="warning", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "ok")

    def action_go(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ExportDialog(ModalScreen[str | None]):
    """Ask where to write the report; the extension picks the format."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("[b]Export the report[/b]", classes="dialog-title")
            yield Static(".md Markdown (the checklist's shape) · .json JSON · .xml JUnit · .txt text",
                         classes="dialog-intro")
            yield Input(value=self.default, id="field-path", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChooseFixDialog(ModalScreen[int | None]):
    """An item has several safe fixes: pick one (enter), or escape."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, item_id: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.item_id = item_id
        self.choices = choices

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        with Vertical(classes="dialog"):
            yield Static(f"[b]Fixes for {safe(self.item_id)}[/b]", classes="dialog-title")
            yield Static("Pick one: its diff is shown before anything is written.", classes="dialog-intro")
            yield OptionList(*[Option(f"[b]{safe(name)}[/b] — {safe(text)}", id=str(n))
                               for n, (name, text) in enumerate(self.choices)], id="fix-choices")

    def on_mount(self) -> None:
        self.query_one("#fix-choices").focus()

    def on_option_list_option_selected(self, event: object) -> None:
        option = getattr(event, "option", None)
        if option is not None and option.id is not None:
            self.dismiss(int(option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


class FixDialog(ModalScreen[bool]):
    """Show a fix's diff; `a` (or the Apply button) applies it, Escape cancels."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("a", "apply", "Apply")]

    def __init__(self, item_id: str, name: str, description: str, diff: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.fix_name = name
        self.description = description
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(f"[b]Fix {safe(self.item_id)}: {safe(self.fix_name)}[/b]", classes="dialog-title")
            yield Static(safe(self.description), classes="dialog-intro")
            with VerticalScroll(id="diff-scroll", can_focus=True):
                yield Static(self._diff_markup(), id="diff")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (a)", variant="warning", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _diff_markup(self) -> str:
        lines = []
        for line in self.diff.splitlines():
            text = safe(line)
            if line.startswith(("+++", "---")):
                lines.append(f"[b]{text}[/b]")
            elif line.startswith("+"):
                lines.append(f"[$success]{text}[/]")
            elif line.startswith("-"):
                lines.append(f"[$error]{text}[/]")
            elif line.startswith("@@"):
                lines.append(f"[$accent]{text}[/]")
            else:
                lines.append(text)
        return "\n".join(lines)

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "ok")

    def action_apply(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
