"""Dialogs: each is a ModalScreen that dismisses with its answer (or None when cancelled).

The keyboard path is the same in every form: focus starts in the first field, Tab and Shift+Tab
move between fields and buttons, Enter moves to the next field and submits from the last, Escape
cancels. Each field is checked as it is typed; a problem is shown under the field and nothing typed
is lost (the dialog stays open until the answer is acceptable).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from readiness_tui.screens.common import safe
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui.checklist import Item

Answer = dict[str, str]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Field:
    """One input of a form: `key` in the answer, its label, the value it starts with, required or not."""

    key: str
    label: str
    value: str = ""
    required: bool = False
    placeholder: str = ""
    password: bool = False


class Dialog(ModalScreen[_T]):
    """A modal that Escape cancels (dismissing with None); styles from dialogs.tcss."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class FormDialog(Dialog[Answer]):
    """A small form: labelled inputs checked as they are typed, Enter from field to field."""

    TITLE_TEXT = ""
    SUBMIT = "OK"
    # Enter is the dialog's, not the field's: handled as the key is read, so the next field has the
    # focus before the keys typed after it arrive ("\rnote" typed fast lands in the note); the field
    # itself is checked once the keys typed before the enter are in it (see `action_enter`).
    BINDINGS = [Binding("enter", "enter", "Next / submit", show=False, priority=True)]

    def __init__(self, fields: list[Field], intro: str = "") -> None:
        """`intro` is markup (callers make outside text in it `safe`)."""
        super().__init__()
        self.fields = fields
        self.intro = intro
        self.touched: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]{safe(self.TITLE_TEXT)}[/b]", classes="dialog-title")
            if self.intro:
                yield Static(self.intro, classes="dialog-intro")
            for field in self.fields:
                yield Label(f"{safe(field.label)}{' [$text-muted](required)[/]' if field.required else ''}")
                yield Input(value=field.value, id=f"field-{field.key}", compact=True, password=field.password,
                            placeholder=field.placeholder)
                yield Static("", id=f"error-{field.key}", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.SUBMIT, variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.inputs()[0].focus()

    def inputs(self) -> list[Input]:
        """The form's inputs in order."""
        return [self.query_one(f"#field-{f.key}", Input) for f in self.fields]

    def answer(self) -> Answer:
        """The values typed, stripped."""
        return {f.key: self.query_one(f"#field-{f.key}", Input).value.strip() for f in self.fields}

    def field_problem(self, key: str, answer: Answer) -> str:
        """What is wrong with one field of the answer, or an empty string (subclasses add rules)."""
        field = next(f for f in self.fields if f.key == key)
        if field.required and not answer[key]:
            return f"{field.label} is required"
        return ""

    def problem(self, answer: Answer) -> str:
        """The first problem of the answer, or an empty string."""
        for field in self.fields:
            problem = self.field_problem(field.key, answer)
            if problem:
                return problem
        return ""

    def _show(self, key: str, problem: str) -> None:
        error = self.query_one(f"#error-{key}", Static)
        error.update(f"[$error]✗ {safe(problem)}[/]" if problem else "")
        error.set_class(bool(problem), "-shown")

    def check_fields(self, keys: list[str] | None = None) -> list[str]:
        """Show the problems of these fields (default: every touched one); the keys with a problem."""
        answer = self.answer()
        bad = []
        for field in self.fields:
            if keys is not None and field.key not in keys:
                continue
            problem = self.field_problem(field.key, answer) if field.key in self.touched else ""
            self._show(field.key, problem)
            if problem:
                bad.append(field.key)
        return bad

    def on_input_changed(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("field-")
        if event.input.has_focus:
            self.touched.add(key)
        # Rules that compare fields (approver ≠ you) are shown again on either side.
        self.check_fields()

    def submit(self) -> None:
        """Dismiss with the answer when every field is acceptable; otherwise go to the first problem."""
        self.touched.update(f.key for f in self.fields)
        bad = self.check_fields()
        if bad:
            self.set_focus(self.query_one(f"#field-{bad[0]}", Input))
            return
        self.dismiss(self.answer())

    def action_enter(self) -> None:
        """Enter: on a field, the next field (from the last, submit); on a button, press it.

        Keys reach a field through its own queue, so when enter is read the keys typed just before
        it may not be in the field yet: the focus moves at once, and the field is checked (and the
        form submitted from the last field) by a callback queued behind those keys.
        """
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()
            return
        inputs = self.inputs()
        if not isinstance(focused, Input) or focused not in inputs:
            self.submit()
            return
        position = inputs.index(focused)
        if position + 1 < len(inputs):
            self.set_focus(inputs[position + 1])
        focused.call_later(self._entered, focused, position + 1 == len(inputs))

    def _entered(self, field: Input, last: bool) -> None:
        if not self.is_attached or self.app.screen is not self:
            return  # closed meanwhile (escape typed right after the enter)
        key = self.fields[self.inputs().index(field)].key
        self.touched.add(key)
        if self.check_fields([key]):
            self.set_focus(field)  # Enter on a field with a problem stays there: the problem is under it
        elif last:
            self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.submit()
        else:
            self.dismiss(None)


def item_intro(item: Item, note: str = "", stale: str = "") -> str:
    """The item a dialog acts on, as markup: a warning when the action hides something (`note`,
    markup), and which valid sign-offs the decision would make stale (`stale`, plain; said before it
    is made)."""
    intro = f"{safe(item.id)}  {safe(item.text)}"
    if note:
        intro += f"\n[$warning]{note}[/]"
    if stale:
        intro += f"\n[$warning]This changes a decision: the sign-offs of {safe(stale)} will be stale.[/]"
    return intro


class ConfirmDialog(FormDialog):
    """Confirm an item: a name and an optional note."""

    TITLE_TEXT = "Confirm item"
    SUBMIT = "Confirm"

    def __init__(self, item: Item, name: str, stale: str = "") -> None:
        super().__init__([Field("name", "Your name", name, True), Field("note", "Note (optional)")],
                         item_intro(item, stale=stale))


class NotApplicableDialog(FormDialog):
    """Mark an item not applicable: a name, the reason, and on a critical item an approver other than
    you. `warning` (markup) says what it hides."""

    TITLE_TEXT = "Not applicable"
    SUBMIT = "Mark N/A"

    def __init__(self, item: Item, name: str, warning: str = "", stale: str = "") -> None:
        fields = [Field("name", "Your name", name, True), Field("reason", "Why it does not apply", "", True)]
        if item.critical:
            fields.append(Field("approver", "Approver (someone else: the item is critical)", "", True))
        super().__init__(fields, item_intro(item, warning, stale))

    def field_problem(self, key: str, answer: Answer) -> str:
        problem = super().field_problem(key, answer)
        if problem:
            return problem
        if key == "approver" and answer["name"] and answer["approver"].casefold() == answer["name"].casefold():
            return "the approver must be someone other than you"
        return ""


class WaiveDialog(FormDialog):
    """Waive an item: reason, an approver other than you, an expiry date from today on."""

    TITLE_TEXT = "Waive (accept the risk)"
    SUBMIT = "Waive"

    def __init__(self, item: Item, name: str, today: date | None = None, warning: str = "", stale: str = "") -> None:
        self.today = today or date.today()
        expires = (self.today + timedelta(days=30)).isoformat()
        super().__init__(
            [Field("name", "Your name", name, True), Field("reason", "Reason", "", True),
             Field("approver", "Approver (someone other than you)", "", True),
             Field("expires", "Expires (YYYY-MM-DD, today or later)", expires, True)],
            item_intro(item, warning, stale),
        )

    def field_problem(self, key: str, answer: Answer) -> str:
        problem = super().field_problem(key, answer)
        if problem:
            return problem
        if key == "approver" and answer["name"] and answer["approver"].casefold() == answer["name"].casefold():
            return "the approver must be someone other than you"
        if key == "expires":
            try:
                expiry = date.fromisoformat(answer["expires"])
            except ValueError:
                return "the expiry date must be a date as YYYY-MM-DD"
            if expiry < self.today:
                return f"the expiry date must be today ({self.today.isoformat()}) or later"
        return ""

    def on_input_changed(self, event: Input.Changed) -> None:
        # The approver is compared with the name: a change of either shows the rule on the approver.
        if event.input.id == "field-name" and "approver" in self.touched:
            self.touched.add("approver")
        super().on_input_changed(event)


class SignDialog(FormDialog):
    """Sign a role: the signer's name (required, editable), an override reason below the top band,
    an optional SSH key.

    Below `ready` the signing core refuses a sign-off without a reason; the dialog asks for it
    up front (required) so the reason is typed here and recorded with the signature. With an SSH
    key (a private key file, or the `.pub` of a key held by ssh-agent) the sign-off is signed with
    `ssh-keygen -Y sign`, as `readiness sign --ssh-key` does; the name is then the principal a
    verifier's allowed_signers file lists, so it is checked as one while a key is given.
    """

    TITLE_TEXT = "Sign off"
    SUBMIT = "Sign"

    def __init__(self, role: str, name: str, intro: str, needs_override: bool = False, ssh_key: str = "") -> None:
        self.TITLE_TEXT = f"Sign off as {role}"
        self.needs_override = needs_override
        fields = [Field("name", "Your name (as it will appear on the sign-off)", name, True)]
        if needs_override:
            fields.append(Field("override", "Override reason: why sign below ready (recorded)", "", True))
        fields.append(Field("ssh_key", "SSH key (optional): private key, or .pub of an ssh-agent key", ssh_key))
        super().__init__(fields, intro)

    def answer(self) -> Answer:
        answer = super().answer()
        answer.setdefault("override", "")
        return answer

    def field_problem(self, key: str, answer: Answer) -> str:
        problem = super().field_problem(key, answer)
        if problem or not answer["ssh_key"]:
            return problem
        from pathlib import Path

        from readiness_tui.attestation import principal_for
        from readiness_tui.errors import UsageError

        if key == "ssh_key" and not Path(answer["ssh_key"]).expanduser().is_file():
            return f"{answer['ssh_key']}: no such SSH key file"
        if key == "name":
            try:
                principal_for(answer["name"])
            except UsageError as exc:
                return str(exc)
        return ""

    def on_input_changed(self, event: Input.Changed) -> None:
        # Whether the name must be a principal depends on the key: a change of the key shows it again.
        if event.input.id == "field-ssh_key" and "ssh_key" in self.touched:
            self.touched.add("name")
        super().on_input_changed(event)


class PassphraseDialog(FormDialog):
    """The passphrase of the SSH key a sign-off is being signed with (kept in memory for that signature only)."""

    TITLE_TEXT = "SSH key passphrase"
    SUBMIT = "Sign"

    def __init__(self, key: str) -> None:
        super().__init__([Field("passphrase", "Passphrase", "", True, password=True)],
                         f"{safe(key)} is encrypted. Its passphrase is passed to ssh-keygen only; it is "
                         "never stored. (Or add the key to ssh-agent and give its .pub file.)")


class FieldDialog(FormDialog):
    """Record one deployment field, checked against its type as typed, and who records it (asked,
    never assumed)."""

    TITLE_TEXT = "Deployment field"
    HINTS = {"date": "YYYY-MM-DD", "time": "HH:MM or HH:MM:SS, optionally UTC or ±HH:MM", "yes/no": "yes or no",
             "person": "a name", "text": "one line"}

    def __init__(self, field: str, kind: str, value: str, by: str) -> None:
        self.TITLE_TEXT = field
        self.kind = kind
        super().__init__([Field("value", f"{field} ({self.HINTS.get(kind, kind)})", value, True),
                          Field("by", "Recorded by (your name)", by, True)])

    def field_problem(self, key: str, answer: Answer) -> str:
        problem = super().field_problem(key, answer)
        if problem:
            return problem
        from readiness_tui.errors import UsageError
        from readiness_tui.signoff import field_value_for, person

        try:
            if key == "value":
                field_value_for(self.kind, answer["value"], self.TITLE_TEXT)
            elif key == "by":
                person(answer["by"], "Recorded by")
        except UsageError as exc:
            return str(exc)
        return ""


class ExportDialog(FormDialog):
    """Ask where to write the report; the extension picks the format."""

    TITLE_TEXT = "Export the report"
    SUBMIT = "Export"

    def __init__(self, default: str) -> None:
        super().__init__([Field("path", "File (.md Markdown · .json JSON · .xml JUnit · .txt text)", default, True)])

    def on_mount(self) -> None:
        super().on_mount()
        # The file name is what one changes most: the cursor goes before the extension.
        field = self.inputs()[0]
        dot = field.value.rfind(".")
        field.cursor_position = dot if dot > field.value.rfind("/") else len(field.value)


class AskDialog(Dialog[bool]):
    """A yes/no question before a destructive action: y or Enter on the button says yes; n, Escape no."""

    BINDINGS = [Binding("escape,n", "cancel", "No"), Binding("y", "yes", "Yes")]

    def __init__(self, question: str, details: str = "", yes: str = "Yes") -> None:
        """`question` and `details` are markup (outside text in them made `safe` by the caller)."""
        super().__init__()
        self.question = question
        self.details = details
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]{self.question}[/b]", classes="dialog-title")
            if self.details:
                yield Static(self.details, classes="dialog-intro")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{safe(self.yes)} (y)", variant="warning", id="yes", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ChooseFixDialog(Dialog[int | None]):
    """An item has several safe fixes: pick one (enter), or escape."""

    def __init__(self, item_id: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.item_id = item_id
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]Fixes for {safe(self.item_id)}[/b]", classes="dialog-title")
            yield Static("Pick one: its diff is shown before anything is written.", classes="dialog-intro")
            yield OptionList(*[Option(f"[b]{safe(name)}[/b] — {safe(text)}", id=str(n))
                               for n, (name, text) in enumerate(self.choices)], id="fix-choices")

    def on_mount(self) -> None:
        self.query_one("#fix-choices").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))


class FixDialog(Dialog[bool]):
    """Show a fix's diff; `a` (or the Apply button) applies it, Escape cancels."""

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
