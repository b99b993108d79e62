"""Modal screens and dialogs: help, data error, retrain, export, settings, prompts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, DataTable, Input, Label, OptionList, RadioButton, RadioSet, Select, Static, Switch
from textual.widgets.option_list import Option

from tunerec.export import FORMATS


@dataclass(frozen=True)
class HelpRow:
    where: str
    keys: str
    description: str


class HelpScreen(ModalScreen[None]):
    """Every binding of the app, grouped by where it applies."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help"),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    def __init__(self, rows: Sequence[HelpRow]) -> None:
        super().__init__()
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static("[b]tunerec — keys[/b]   (esc closes; ctrl+p opens the command palette)", id="help-title")
            table = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield table

    def on_mount(self) -> None:
        t = self.query_one(DataTable)
        t.add_columns("where", "keys", "what it does")
        for r in self.rows:
            t.add_row(r.where, Text(r.keys, style="bold"), r.description)
        t.focus()

    def action_scroll_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_scroll_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()


class ErrorScreen(Screen[None]):
    """Shown instead of the app when the data (or the store) cannot be used."""

    BINDINGS = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, title: str, message: str, fix: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.fix = fix

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box", classes="dialog"):
            yield Static(Text(self.title_text, style="bold red"), id="error-title")
            yield Static(Text(self.message), id="error-message")
            yield Static(Text.from_markup(self.fix), id="error-fix")
            yield Static(Text("Press q to quit.", style="dim"))


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Static(self.question)
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text (with optional completion)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", suggestions: Iterable[str] = (), placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.suggestions = list(suggestions)
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Label(self.question)
            suggester = SuggestFromList(self.suggestions, case_sensitive=False) if self.suggestions else None
            yield Input(self.value, placeholder=self.placeholder, suggester=suggester, id="prompt-input")
            yield Static(Text("enter: OK · esc: cancel · →: accept completion", style="dim"))

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class RetrainRequest:
    model: str
    epochs: int | None
    time_budget: float | None  # seconds
    all_users: bool


class RetrainDialog(ModalScreen[RetrainRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "start", "Start")]

    def __init__(self, models: Sequence[str] = ("rnn",), epochs: int | None = None, minutes: float | None = None) -> None:
        super().__init__()
        self.models = list(models)
        self.epochs = epochs
        self.minutes = minutes

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="retrain-box"):
            yield Static("[b]Retrain a model in the background[/b]")
            yield Label("model")
            yield Select([(m.upper(), m) for m in self.models], value=self.models[0], allow_blank=False, id="retrain-model")
            yield Label("epochs (empty: the model's default)")
            yield Input("" if self.epochs is None else str(self.epochs), type="integer", placeholder="default", id="retrain-epochs")
            yield Label("time budget in minutes (empty: none; the best finished epoch is kept)")
            yield Input("" if self.minutes is None else f"{self.minutes:g}", type="number", placeholder="none", id="retrain-minutes")
            with RadioSet(id="retrain-users"):
                yield RadioButton("all users (for the app)", value=True, id="users-all")
                yield RadioButton("protocol train users only", id="users-train")
            yield Static("", id="retrain-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Start (ctrl+s)", id="start", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_start(self) -> None:
        epochs_text = self.query_one("#retrain-epochs", Input).value.strip()
        minutes_text = self.query_one("#retrain-minutes", Input).value.strip()
        err = self.query_one("#retrain-error", Static)
        try:
            epochs = int(epochs_text) if epochs_text else None
            minutes = float(minutes_text) if minutes_text else None
        except ValueError:
            err.update("epochs must be a whole number and the time budget a number of minutes")
            return
        if epochs is not None and epochs < 1:
            err.update("epochs must be at least 1")
            return
        if minutes is not None and minutes <= 0:
            err.update("the time budget must be more than 0 minutes")
            return
        model = str(self.query_one("#retrain-model", Select).value)
        all_users = self.query_one("#users-all", RadioButton).value
        self.dismiss(RetrainRequest(model, epochs, None if minutes is None else minutes * 60, all_users))

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()
        else:
            self.dismiss(None)


@dataclass(frozen=True)
class ExportRequest:
    source: str  # "session" | "rnn" | "ga"
    fmt: str
    path: str
    clipboard: bool = False


class ExportDialog(ModalScreen[ExportRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, sources: Sequence[tuple[str, str]], source: str, default_paths: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.sources = list(sources)
        self.source = source
        self.default_paths = default_paths
        self.fmt = "m3u"

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="export-box"):
            yield Static("[b]Export a list[/b]")
            yield Label("what")
            yield Select([(label, key) for key, label in self.sources], value=self.source, allow_blank=False, id="export-source")
            yield Label("format")
            yield Select([(f.upper(), f) for f in FORMATS], value=self.fmt, allow_blank=False, id="export-format")
            yield Label("file")
            yield Input(self.default_paths.get((self.source, self.fmt), ""), id="export-path")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Copy names", id="copy")
                yield Button("Cancel (esc)", id="cancel")

    @on(Select.Changed)
    def changed(self) -> None:
        src = str(self.query_one("#export-source", Select).value)
        fmt = str(self.query_one("#export-format", Select).value)
        self.query_one("#export-path", Input).value = self.default_paths.get((src, fmt), "")

    def _request(self, clipboard: bool) -> ExportRequest:
        return ExportRequest(
            str(self.query_one("#export-source", Select).value),
            str(self.query_one("#export-format", Select).value),
            self.query_one("#export-path", Input).value.strip(),
            clipboard,
        )

    def action_save(self) -> None:
        self.dismiss(self._request(False))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "copy":
            self.dismiss(self._request(True))
        else:
            self.dismiss(None)


@dataclass(frozen=True)
class SettingsResult:
    theme: str
    discovery: float
    k: int
    autotrain: bool
    unblock: tuple[int, ...]


class SettingsScreen(ModalScreen[SettingsResult | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, themes: Sequence[str], theme: str, discovery: float, k: int, autotrain: bool, blocked: Sequence[tuple[int, str]]) -> None:
        super().__init__()
        self.themes = list(themes)
        self.theme_name = theme
        self.discovery = discovery
        self.k = k
        self.autotrain = autotrain
        self.blocked = list(blocked)
        self.unblock: set[int] = set()

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="settings-box"):
            yield Static("[b]Settings[/b] (saved in your tunerec store)")
            yield Label("theme")
            yield Select([(t, t) for t in self.themes], value=self.theme_name if self.theme_name in self.themes else self.themes[0], allow_blank=False, id="set-theme")
            yield Label("default GA discovery (0 familiar … 1 adventurous)")
            yield Input(f"{self.discovery:g}", type="number", id="set-discovery")
            yield Label("recommendations per pane (k, 5–50)")
            yield Input(str(self.k), type="integer", id="set-k")
            with Horizontal(classes="switch-row"):
                yield Switch(self.autotrain, id="set-autotrain")
                yield Label("train the RNN in the background when no model exists")
            yield Label(f"blocklist ({len(self.blocked)}; enter toggles unblock)")
            ol = OptionList(*[Option(name, id=str(aid)) for aid, name in self.blocked], id="set-blocked")
            yield ol
            yield Static("", id="settings-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    @on(OptionList.OptionSelected, "#set-blocked")
    def toggle_unblock(self, event: OptionList.OptionSelected) -> None:
        aid = int(event.option.id or 0)
        self.unblock ^= {aid}
        name = dict(self.blocked)[aid]
        prompt = Text.assemble((name, "strike dim"), "  (will be unblocked)") if aid in self.unblock else Text(name)
        event.option_list.replace_option_prompt(str(aid), prompt)

    def action_save(self) -> None:
        err = self.query_one("#settings-error", Static)
        try:
            discovery = float(self.query_one("#set-discovery", Input).value)
            k = int(self.query_one("#set-k", Input).value)
        except ValueError:
            err.update("discovery must be a number and k a whole number")
            return
        if not 0.0 <= discovery <= 1.0:
            err.update("discovery must be between 0 and 1")
            return
        if not 5 <= k <= 50:
            err.update("k must be between 5 and 50")
            return
        self.dismiss(
            SettingsResult(
                str(self.query_one("#set-theme", Select).value),
                discovery,
                k,
                self.query_one("#set-autotrain", Switch).value,
                tuple(sorted(self.unblock)),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)
