"""The tunerec app: browse artists, build sessions, RNN and GA recommendations side by side.

A thin shell over the core: data (:mod:`tunerec.data`), browsing (:mod:`tunerec.browse`),
session editing written through to the store (:mod:`tunerec.sessions`), recommenders
(:func:`tunerec.models.get_recommender` via :class:`~tunerec.app.recs.ModelService`),
export (:mod:`tunerec.export`), background training (:mod:`tunerec.trainjob`).

Everything slow runs in thread workers and reports back with messages; the RNN's torch
import happens only when its pane first needs the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from tunerec.app.recs import PANE_TITLES, ModelService
from tunerec.app.screens import (
    ErrorScreen,
    ExportDialog,
    ExportRequest,
    HelpRow,
    HelpScreen,
    PromptDialog,
    RetrainDialog,
    RetrainRequest,
    SettingsResult,
    SettingsScreen,
)
from tunerec.app.widgets import (
    AddArtist,
    ArtistTable,
    BlockArtist,
    PaneItem,
    RecList,
    RecPane,
    SessionList,
    StatusBar,
    VimOptionList,
    score_bar,
)

if TYPE_CHECKING:
    from tunerec.browse import Browser
    from tunerec.data import Dataset
    from tunerec.recommenders.base import Context, Recommendation
    from tunerec.sessions import SessionEditor
    from tunerec.store import Store
    from tunerec.trainjob import TrainJob, TrainProgress

VIEWS = ("browse", "sessions", "recommend", "compare")
VIEW_TITLES = {"browse": "1 Browse", "sessions": "2 Sessions", "recommend": "3 Recommend", "compare": "4 Compare"}
SORT_CYCLE = ("match", "listeners", "plays", "name")
DEFAULTS = {"theme": "textual-dark", "discovery": 0.3, "k": 20, "autotrain": True}
DEBOUNCE_S = 0.25
BROWSE_LIMIT = 2000  # rows computed per search
BROWSE_PAGE = 100  # rows put in the table at a time (more as the cursor nears the end)
FOCUS_TARGETS = {"browse": "#artists", "sessions": "#session-list", "recommend": "#rnn-list", "compare": "#compare-table"}
NOT_TRAINED = "model not trained yet — press R to train"


# ---------------------------------------------------------------- messages
class DataLoaded(Message):
    def __init__(self, dataset: "Dataset", browser: "Browser", examples: list, history: list, context: Any) -> None:
        super().__init__()
        self.dataset = dataset
        self.browser = browser
        self.examples = examples
        self.history = history
        self.context = context


class BrowseRows(Message):
    def __init__(self, gen: int, rows: list) -> None:
        super().__init__()
        self.gen = gen
        self.rows = rows


class DetailReady(Message):
    def __init__(self, artist_id: int, text: Text) -> None:
        super().__init__()
        self.artist_id = artist_id
        self.text = text


class DataFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


@dataclass
class PaneResult(Message):
    pane: str
    gen: int
    recs: list = field(default_factory=list)
    model_name: str = ""
    note: str = ""
    error: str = ""
    not_ready: bool = False
    seconds: float = 0.0
    summary: str = ""


class TrainUpdate(Message):
    """Progress of the training run; a newer update replaces a queued older one."""

    def __init__(self, progress: "TrainProgress", elapsed: float) -> None:
        super().__init__()
        self.progress = progress
        self.elapsed = elapsed

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainUpdate)


class TrainFinished(Message):
    def __init__(self, returncode: int, cancelled: bool, log_path: Path, tail: str, error: str = "", saved: bool = False) -> None:
        super().__init__()
        self.saved = saved
        self.returncode = returncode
        self.cancelled = cancelled
        self.log_path = log_path
        self.tail = tail
        self.error = error


# ---------------------------------------------------------------- the app
class TunerecApp(App[None]):
    """Keyboard-driven music assistant over the Last.fm HetRec 2011 dataset."""

    TITLE = "tunerec"
    SUB_TITLE = "offline artist recommendations"
    CSS_PATH = "tunerec.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("1", "view('browse')", "Browse", show=False),
        Binding("2", "view('sessions')", "Sessions", show=False),
        Binding("3", "view('recommend')", "Recommend", show=False),
        Binding("4", "view('compare')", "Compare", show=False),
        Binding("question_mark,f1", "help", "Help"),
        Binding("slash", "search", "Search"),
        Binding("t", "tag_filter", "Tag filter", show=False),
        Binding("s", "cycle_sort", "Sort", show=False),
        Binding("n", "new_session", "New session", show=False),
        Binding("r", "rename_session", "Rename session", show=False),
        Binding("number_sign", "tag_session", "Tag session", show=False),
        Binding("C", "clear_session", "Clear session", show=False),
        Binding("u", "undo", "Undo", show=False),
        Binding("left_square_bracket,minus", "discovery(-0.1)", "Less discovery", show=False),
        Binding("right_square_bracket,plus", "discovery(0.1)", "More discovery", show=False),
        Binding("h", "toggle_hybrid", "Hybrid GA", show=False),
        Binding("R", "retrain", "Retrain"),
        Binding("X", "cancel_training", "Cancel training"),
        Binding("e", "export", "Export"),
        Binding("comma", "settings", "Settings", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        data_path: str | None = None,
        *,
        autotrain: bool | None = None,
        train_argv: Callable[[RetrainRequest], list[str]] | None = None,
        ga_deadline: float = 0.5,
        debounce: float = DEBOUNCE_S,
        dataset: "Dataset | None" = None,
        model_factory: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__()
        self.data_path = data_path
        self.preloaded = dataset
        self.model_factory = model_factory
        self.autotrain_override = autotrain
        self.train_argv_factory = train_argv
        self.ga_deadline = ga_deadline
        self.debounce = debounce
        self.ds: Dataset | None = None
        self.browser: Browser | None = None
        self.store: Store | None = None
        self.editor: SessionEditor | None = None
        self.models: ModelService | None = None
        self.examples: list = []
        self.history_sessions: list = []
        self.personal: Context | None = None
        self.query_text = ""
        self.browse_gen = 0
        self.browse_shown = 0
        self.browse_rows: list = []
        self.detail_for: int | None = None
        self._frozen_after: set[str] = set()
        self.pane_seconds: dict[str, float] = {"rnn": 0.0, "ga": 0.0}
        self._inflight: dict[str, bool] = {}
        self._rerun: set[str] = set()
        self.tag_filter: str | None = None
        self.sort = "match"
        self.discovery = float(DEFAULTS["discovery"])
        self.hybrid = False
        self.k = int(DEFAULTS["k"])
        self.autotrain = bool(DEFAULTS["autotrain"])
        self.pane_recs: dict[str, list[Recommendation]] = {"rnn": [], "ga": []}
        self.pane_gen: dict[str, int] = {"rnn": 0, "ga": 0}
        self.pane_summary: dict[str, str] = {"rnn": "", "ga": ""}
        self.pane_state: dict[str, str] = {"rnn": "", "ga": ""}
        self._rec_timer = None
        self._search_timer = None
        self._undo: list[tuple[str, Any]] = []
        self.train_job: TrainJob | None = None
        self.train_status = ""
        self.ready = False
        self.first_frame_at: float | None = None

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="♫")
        with TabbedContent(id="views", initial="browse"):
            with TabPane(VIEW_TITLES["browse"], id="browse"):
                with Horizontal(id="browse-row"):
                    with Vertical(id="browse-left"):
                        yield Input(placeholder="/ search artists (type-ahead)", id="search")
                        yield Static("", id="browse-filter")
                        yield ArtistTable(id="artists")
                    with VerticalScroll(id="detail"):
                        yield Static("", id="detail-body")
                    with Vertical(id="browse-session", classes="session-side"):
                        yield Static("", classes="side-title", id="browse-session-title")
                        yield SessionList(id="browse-session-list", classes="session-list")
            with TabPane(VIEW_TITLES["sessions"], id="sessions"):
                with Horizontal(id="sessions-row"):
                    with Vertical(id="sessions-left"):
                        yield Static("[b]Saved sessions[/b] · enter open · d delete · c copy · r rename", classes="list-title")
                        yield SavedList(id="saved-list")
                        yield Static("[b]Examples & my history[/b] · enter starts a session", classes="list-title")
                        yield VimOptionList(id="example-list")
                    with Vertical(id="sessions-right"):
                        yield Static("", id="session-head")
                        yield Input(placeholder="# add a tag to this session (completion: →)", id="tag-input")
                        yield SessionList(id="session-list", classes="session-list")
            with TabPane(VIEW_TITLES["recommend"], id="recommend"):
                with Vertical(id="recommend-col"):
                    with Horizontal(id="recommend-row"):
                        with Vertical(id="rec-session", classes="session-side"):
                            yield Static("", classes="side-title", id="rec-session-title")
                            yield SessionList(id="rec-session-list", classes="session-list")
                        yield RecPane("rnn", PANE_TITLES["rnn"], id="pane-rnn", classes="pane")
                        yield RecPane("ga", PANE_TITLES["ga"], id="pane-ga", classes="pane")
                    yield Static("", id="explain")
            with TabPane(VIEW_TITLES["compare"], id="compare"):
                with VerticalScroll(id="compare-col"):
                    yield Static("", id="compare-head")
                    yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
                    yield Static("", id="compare-chart")
                    yield Static("", id="compare-session")
        yield StatusBar(id="status")
        yield Footer()

    # ------------------------------------------------------------ startup
    def on_mount(self) -> None:
        self.call_after_refresh(self._first_frame)
        from tunerec.sessions import SessionEditor
        from tunerec.store import StoreError, open_store

        try:
            self.store = open_store()
        except StoreError as exc:
            self.push_screen(ErrorScreen("Cannot open your tunerec store", str(exc), "Fix: set [b]TUNEREC_HOME[/b] to a writable folder."))
            return
        self.editor = SessionEditor(self.store)
        self._load_settings()
        if self.store.notice:
            self.notify(self.store.notice, title="User store replaced", severity="warning", timeout=20)
        self.editor.restore_current()
        self.query_one("#views", TabbedContent).loading = True
        self.set_status("Loading the Last.fm dataset…", busy=True)
        self.update_knobs()
        self.load_data()

    def on_resize(self, event: Any) -> None:
        self.set_class(event.size.width < 100, "-narrow")

    def _first_frame(self) -> None:
        self.first_frame_at = time.perf_counter()

    def _load_settings(self) -> None:
        assert self.store is not None
        theme = self.store.get_setting("theme", DEFAULTS["theme"])
        if theme in self.available_themes:
            self.theme = theme
        try:
            self.discovery = min(1.0, max(0.0, float(self.store.get_setting("discovery", DEFAULTS["discovery"]))))
            self.k = min(50, max(5, int(self.store.get_setting("k", DEFAULTS["k"]))))
        except (TypeError, ValueError):
            pass
        self.autotrain = bool(self.store.get_setting("autotrain", DEFAULTS["autotrain"]))
        if self.autotrain_override is not None:
            self.autotrain = self.autotrain_override
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Any) -> None:
        if self.store is not None:
            self.store.set_setting("theme", self.theme)

    @work(thread=True, exclusive=True, group="data", exit_on_error=False)
    def load_data(self) -> None:
        from tunerec.browse import Browser
        from tunerec.data import DataError, load_dataset
        from tunerec.sessions import example_sessions

        import gc

        gc.disable()  # the load makes ~1e6 long-lived objects: no full collections meanwhile
        try:
            ds = self.preloaded if self.preloaded is not None else load_dataset(self.data_path)
            browser = Browser(ds)
            examples = example_sessions(ds)
        except DataError as exc:
            self.post_message(DataFailed(str(exc)))
            return
        except OSError as exc:
            self.post_message(DataFailed(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}"))
            return
        finally:
            gc.freeze()
            gc.enable()
        history, context = [], None
        try:
            from tunerec.history import list_history_sessions, personal_context

            assert self.store is not None
            history = list_history_sessions(self.store, ds, limit=50)
            context = personal_context(self.store, ds) if history else None
        except ImportError:
            pass
        except Exception as exc:  # noqa: BLE001 - history is optional; say why it is missing
            self.call_from_thread(self.notify, f"imported history not shown: {exc}", severity="warning")
        self.post_message(DataLoaded(ds, browser, examples, history, context))

    @on(DataFailed)
    def data_failed(self, event: DataFailed) -> None:
        self.set_status("")
        self.push_screen(
            ErrorScreen(
                "The Last.fm dataset cannot be loaded",
                event.message,
                "Fix: start tunerec with [b]--data PATH[/b] (the hetrec2011-lastfm-2k zip or a folder with its six .dat files), "
                "or set [b]TUNEREC_DATA[/b]; [b]tunerec data check PATH[/b] lists every problem in a copy.",
            )
        )

    @on(DataLoaded)
    def data_loaded(self, event: DataLoaded) -> None:
        self.ds = event.dataset
        self.browser = event.browser
        self.examples = event.examples
        self.history_sessions = event.history
        self.personal = event.context
        self.models = ModelService(self.ds, self.model_factory) if self.model_factory else ModelService(self.ds)
        freeze_heap()
        self.query_one("#views", TabbedContent).loading = False
        self.ready = True
        self.set_status("")
        self.refresh_browse()
        self.refresh_session_views()
        self.refresh_saved()
        self.refresh_examples()
        self.schedule_recs(now=True)
        if not isinstance(self.focused, Input):  # never steal focus from someone already typing
            self.query_one("#artists", ArtistTable).focus()
        if self.autotrain:
            self.check_autotrain()

    # ------------------------------------------------------------ status
    def set_status(self, text: str, progress: float | None = None, busy: bool = False) -> None:
        self.query_one(StatusBar).set(text, progress, busy)

    # ------------------------------------------------------------ browse
    def refresh_browse(self) -> None:
        """Recompute the artist list in a worker (search over 17k names never blocks typing)."""
        if self.browser is None:
            return
        self.browse_gen += 1
        self.run_worker(
            partial(self._browse_job, self.browse_gen, self.query_text, self.tag_filter, self.sort),
            thread=True, group="browse", exclusive=True, exit_on_error=False, name="browse",
        )

    @property
    def browse_busy(self) -> bool:
        return self.browse_gen != self.browse_shown or any(w.group in ("browse", "detail") and not w.is_finished for w in self.workers)

    def _browse_job(self, gen: int, query: str, tag: str | None, sort: str) -> None:
        assert self.browser is not None
        rows = self.browser.rows(query, tag, sort, limit=BROWSE_LIMIT)
        if not get_current_worker().is_cancelled:
            self.post_message(BrowseRows(gen, rows))

    @on(BrowseRows)
    def browse_rows_ready(self, event: BrowseRows) -> None:
        if event.gen != self.browse_gen:
            return
        self.browse_shown = event.gen
        rows = event.rows
        self.browse_rows = rows
        self.query_one("#artists", ArtistTable).show_rows(rows[:BROWSE_PAGE])
        sort = self.sort if (self.sort != "match" or self.query_text or self.tag_filter) else "listeners"
        tag = f"tag: [b]{self.tag_filter}[/b] (t)" if self.tag_filter else "tag: any (t)"
        n = f"{len(rows)}{'+' if len(rows) == BROWSE_LIMIT else ''} artist{'' if len(rows) == 1 else 's'}"
        self.query_one("#browse-filter", Static).update(f"{n} · sort: [b]{sort}[/b] (s) · {tag}", layout=False)
        self.show_detail(rows[0].artist_id if rows else None)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.06, self.refresh_browse)

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.query_one("#artists", ArtistTable).focus()

    @on(DataTable.RowHighlighted, "#artists")
    def artist_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one("#artists", ArtistTable)
        if event.cursor_row >= table.row_count - 3 and table.row_count < len(self.browse_rows):
            table.append_rows(self.browse_rows[table.row_count : table.row_count + BROWSE_PAGE])
        if event.row_key.value is not None:
            self.show_detail(int(event.row_key.value))

    def show_detail(self, artist_id: int | None) -> None:
        """Fill the detail panel (computed in a worker; the newest request wins)."""
        self.detail_for = artist_id
        if artist_id is None or self.ds is None:
            self.query_one("#detail-body", Static).update(Text("No artist matches. Clear the search (esc) or the tag filter (t, empty).", style="dim"))
            return
        in_session = bool(self.editor and artist_id in self.editor.artists)
        self.run_worker(partial(self._detail_job, artist_id, in_session), thread=True, group="detail", exclusive=True, exit_on_error=False, name="detail")

    def _detail_job(self, artist_id: int, in_session: bool) -> None:
        text = detail_text(self.ds, artist_id, in_session)
        if not get_current_worker().is_cancelled:
            self.post_message(DetailReady(artist_id, text))

    @on(DetailReady)
    def detail_ready(self, event: DetailReady) -> None:
        if event.artist_id == self.detail_for:
            self.query_one("#detail-body", Static).update(event.text)

    def action_search(self) -> None:
        self.action_view("browse")
        # focus now, not after the next refresh: keys typed right after "/" belong to the search
        self.screen.set_focus(self.query_one("#search", Input))

    def action_tag_filter(self) -> None:
        if self.browser is None:
            return
        self.action_view("browse")

        def done(value: str | None) -> None:
            if value is None:
                return
            value = value.strip()
            if value and self.browser is not None and self.browser.tag_column(value) is None:
                self.notify(f"no artist is tagged {value!r}", severity="warning")
                return
            self.tag_filter = value or None
            self.refresh_browse()

        self.push_screen(PromptDialog("Filter artists by tag (empty clears):", self.tag_filter or "", self.browser.tag_names[:3000], "e.g. jazz"), done)

    def action_cycle_sort(self) -> None:
        i = SORT_CYCLE.index(self.sort)
        self.sort = SORT_CYCLE[(i + 1) % len(SORT_CYCLE)]
        self.refresh_browse()
        self.notify(f"sorted by {self.sort}", timeout=1.5)

    # ------------------------------------------------------------ session edits
    @on(AddArtist)
    def add_artist(self, event: AddArtist) -> None:
        if self.editor is None or self.ds is None:
            return
        name = self.ds.artist_name(event.artist_id)
        if self.editor.add(event.artist_id):
            self._undo.append(("artists", None))
            self.notify(f"added {name}", timeout=1.5)
            self.session_changed()
            if self.detail_for == event.artist_id:
                self.show_detail(event.artist_id)
        else:
            self.notify(f"{name} is already in the session", timeout=1.5)

    @on(BlockArtist)
    def block_artist(self, event: BlockArtist) -> None:
        if self.store is None or self.ds is None:
            return
        self.store.block(event.artist_id)
        self._undo.append(("block", event.artist_id))
        for pane in ("rnn", "ga"):
            self.pane_recs[pane] = [r for r in self.pane_recs[pane] if r.artist_id != event.artist_id]
        self.render_panes()
        self.notify(f"blocked {self.ds.artist_name(event.artist_id)} (u undoes; manage in settings ,)", timeout=3)
        self.schedule_recs()

    @on(SessionList.Remove)
    def remove_from_session(self, event: SessionList.Remove) -> None:
        if self.editor is None:
            return
        if event.index < len(self.editor.artists):
            self.editor.remove(event.index)
            self._undo.append(("artists", None))
            self.session_changed(highlight=event.index)

    @on(SessionList.Move)
    def move_in_session(self, event: SessionList.Move) -> None:
        if self.editor is None:
            return
        new = self.editor.move(event.index, event.delta)
        if new != event.index:
            self._undo.append(("artists", None))
        self.session_changed(highlight=new)

    def action_clear_session(self) -> None:
        if self.editor and self.editor.artists:
            self.editor.clear()
            self._undo.append(("artists", None))
            self.notify("session cleared — u undoes", timeout=3)
            self.session_changed()

    def action_undo(self) -> None:
        if not self._undo or self.editor is None or self.store is None:
            self.notify("nothing to undo", timeout=1.5)
            return
        kind, payload = self._undo.pop()
        if kind == "artists":
            self.editor.undo()
            self.session_changed()
        elif kind == "block":
            self.store.unblock(payload)
            self.schedule_recs()
        elif kind == "delete":
            self.editor.restore(payload)
            self.refresh_saved()
            self.notify(f"restored {payload.name}", timeout=2)

    def action_new_session(self) -> None:
        if self.editor is None:
            return
        self.editor.detach()
        self._undo.clear()
        self.session_changed()
        self.notify("new session — add artists with enter/a", timeout=2)

    def action_rename_session(self) -> None:
        if self.editor is None:
            return
        saved = self.query_one("#saved-list", SavedList)
        if self.focused is saved and saved.highlighted is not None:
            return saved.action_rename()

        def done(value: str | None) -> None:
            if value and value.strip() and self.editor is not None:
                self.editor.rename(value)
                self.session_changed(recs=False)

        self.push_screen(PromptDialog("Session name:", self.editor.name if self.editor.session else ""), done)

    def action_tag_session(self) -> None:
        self.action_view("sessions")
        self.screen.set_focus(self.query_one("#tag-input", Input))

    @on(Input.Submitted, "#tag-input")
    def tag_submitted(self, event: Input.Submitted) -> None:
        if self.editor is None:
            return
        value = event.value.strip()
        if value.startswith("-") and value[1:].strip():
            self.editor.remove_tag(value[1:].strip())
        elif value:
            self.editor.add_tag(value)
        event.input.value = ""
        self.session_changed()

    def session_changed(self, highlight: int | None = None, recs: bool = True) -> None:
        self.refresh_session_views(highlight)
        self.refresh_saved()
        if recs:
            self.schedule_recs()

    def refresh_session_views(self, highlight: int | None = None) -> None:
        if self.editor is None or self.ds is None:
            return
        names = [self.ds.artist_name(a) for a in self.editor.artists]
        for lid in ("#browse-session-list", "#session-list", "#rec-session-list"):
            self.query_one(lid, SessionList).show(names, highlight)
        count = f"{len(names)} artist{'s' if len(names) != 1 else ''}"
        title = Text.assemble((f"Session · {count}\n", "bold"), (self.editor.name, "cyan"))
        title.no_wrap = True
        title.overflow = "ellipsis"
        for tid in ("#browse-session-title", "#rec-session-title"):
            self.query_one(tid, Static).update(title)
        head = Text.assemble(("Session: ", "bold"), (self.editor.name, "bold cyan"), f"  {count}\n")
        if self.editor.tags:
            head.append("tags: ")
            for tg in self.editor.tags:
                head.append(f" {tg} ", style="reverse")
                head.append(" ")
            head.append("  (type -tag to remove)", style="dim")
        else:
            head.append("no tags yet · r renames · n starts a new session", style="dim")
        self.query_one("#session-head", Static).update(head)
        if self.browser is not None:
            from textual.suggester import SuggestFromList

            self.query_one("#tag-input", Input).suggester = SuggestFromList(self.browser.tag_names[:3000], case_sensitive=False)

    # ------------------------------------------------------------ saved / example sessions
    def refresh_saved(self) -> None:
        if self.store is None:
            return
        lst = self.query_one("#saved-list", SavedList)
        sessions = self.store.list_sessions()
        cur = self.editor.session_id if self.editor else None
        lines = []
        for s in sessions:
            mark = "▶ " if s.id == cur else "  "
            tags = f" [{', '.join(s.tags)}]" if s.tags else ""
            lines.append((f"{mark}{s.name} · {len(s.artists)} artists{tags}", str(s.id)))
        lst.set_lines(lines)

    def refresh_examples(self) -> None:
        lst = self.query_one("#example-list", VimOptionList)
        if self.ds is None:
            return
        lines: list[tuple[str, str | None]] = []
        for i, h in enumerate(self.history_sessions):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(getattr(h, "start", 0)))
            ids = list(getattr(h, "artist_ids", []))
            lines.append((f"♪ my listening {when} · {len(ids)} artists", f"h{i}"))
        for i, ex in enumerate(self.examples):
            first = ", ".join(self.ds.artist_name(a) for a in ex.artists[:3])
            lines.append((f"{ex.name} · {len(ex.artists)}: {first}…", f"e{i}"))
        lst.set_lines(lines)

    @on(OptionList.OptionSelected, "#example-list")
    def example_selected(self, event: OptionList.OptionSelected) -> None:
        if self.editor is None or self.ds is None or event.option.id is None:
            return
        oid = event.option.id
        if oid.startswith("h"):
            h = self.history_sessions[int(oid[1:])]
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(getattr(h, "start", 0)))
            self.editor.start_from(list(getattr(h, "artist_ids", [])), f"My listening {when}", "history")
        else:
            ex = self.examples[int(oid[1:])]
            self.editor.start_from(list(ex.artists), f"Example: {ex.name}", "example")
        self._undo.clear()
        self.session_changed()
        self.notify(f"opened {self.editor.name}", timeout=2)

    def open_saved(self, sid: int) -> None:
        if self.editor is None:
            return
        self.editor.open(sid)
        self._undo.clear()
        self.session_changed()
        self.notify(f"opened {self.editor.name}", timeout=2)

    def delete_saved(self, sid: int) -> None:
        if self.editor is None:
            return
        gone = self.editor.delete(sid)
        self._undo.append(("delete", gone))
        self.session_changed()
        self.notify(f"deleted {gone.name} — u undoes", timeout=4)

    def duplicate_saved(self, sid: int) -> None:
        if self.editor is None:
            return
        s = self.editor.duplicate(sid)
        self._undo.clear()
        self.session_changed()
        self.notify(f"opened the copy {s.name}", timeout=2)

    def rename_saved(self, sid: int) -> None:
        if self.store is None:
            return
        s = self.store.get_session(sid)

        def done(value: str | None) -> None:
            if value and value.strip() and self.store is not None:
                self.store.rename_session(sid, " ".join(value.split()))
                if self.editor and self.editor.session_id == sid:
                    self.editor.open(sid)
                self.session_changed(recs=False)

        self.push_screen(PromptDialog("Session name:", s.name), done)

    # ------------------------------------------------------------ recommendations
    def update_knobs(self) -> None:
        bar = score_bar(self.discovery, 6)
        t = Text.assemble(
            ("discovery", "bold"), ("▕", "dim"), (bar, "magenta"), ("▏", "dim"), f"{self.discovery:.1f}",
            "  hybrid ", ("on" if self.hybrid else "off", "bold green" if self.hybrid else "bold"),
        )
        self.query_one("#ga-knobs", Static).update(t, layout=False)

    def action_discovery(self, delta: float) -> None:
        new = round(min(1.0, max(0.0, self.discovery + delta)), 2)
        if new != self.discovery:
            self.discovery = new
            self.update_knobs()
            self.schedule_recs(panes=("ga",))

    def action_toggle_hybrid(self) -> None:
        self.hybrid = not self.hybrid
        self.update_knobs()
        self.schedule_recs(panes=("ga",))

    def schedule_recs(self, now: bool = False, panes: Iterable[str] = ("rnn", "ga")) -> None:
        """Recompute the panes after a short quiet period (typing never waits for models)."""
        if not self.ready:
            return
        self._pending_panes = set(getattr(self, "_pending_panes", set())) | set(panes)
        if self._rec_timer is not None:
            self._rec_timer.stop()
        if now:
            self.start_recs()
        else:
            self._recs_waiting = True
            self._rec_timer = self.set_timer(self.debounce, self.start_recs)

    @property
    def recs_busy(self) -> bool:
        """True while a pane update is scheduled or computing."""
        running = any(w.group.startswith("rec-") and not w.is_finished for w in self.workers)
        return (
            running
            or bool(self._rerun)
            or any(self._inflight.values())
            or getattr(self, "_recs_waiting", False)
            or any(self.pane_gen[p] == 0 for p in ("rnn", "ga"))
        )

    def rec_context(self) -> "Context":
        from tunerec.recommenders.base import Context

        base = self.personal
        tags = self.editor.tags if self.editor else []
        return Context(
            profile=getattr(base, "profile", None),
            recent_sessions=getattr(base, "recent_sessions", ()),
            tags=list(tags),
            discovery=self.discovery,
            seed=0,
        )

    def ga_options(self) -> dict[str, Any]:
        return {"hybrid": self.hybrid, "deadline": self.ga_deadline, "seed": 0}

    def start_recs(self) -> None:
        if self.editor is None or self.models is None:
            return
        self._recs_waiting = False
        panes = sorted(getattr(self, "_pending_panes", {"rnn", "ga"}))
        self._pending_panes = set()
        session = self.editor.artists
        blocked = self.store.blocked() if self.store else set()
        for pane in panes:
            if self._inflight.get(pane):
                # single flight: a running GA cannot be interrupted, so the newest request
                # waits for it instead of piling up threads; the stale result is dropped
                self.pane_gen[pane] += 1
                self._rerun.add(pane)
                continue
            self._inflight[pane] = True
            self.pane_gen[pane] += 1
            gen = self.pane_gen[pane]
            p = self.query_one(f"#pane-{pane}", RecPane)
            p.add_class("-stale")
            if self.pane_state[pane] != NOT_TRAINED:
                p.set_status(Text("updating…", style="dim italic"))
            opts = self.ga_options() if pane == "ga" else {}
            self.run_worker(
                partial(self._rec_job, pane, gen, list(session), blocked, opts, self.rec_context(), self.k),
                thread=True,
                group=f"rec-{pane}",
                exclusive=True,
                exit_on_error=False,
                name=f"recommend {pane}",
            )

    def _rec_job(self, pane: str, gen: int, session: list[int], blocked: set[int], opts: dict, ctx: "Context", k: int) -> None:
        """Thread worker: get the pane's model and its top-k list; post the result."""
        from tunerec.listinfo import summarize
        from tunerec.models import ModelNotReady

        worker = get_current_worker()
        assert self.models is not None and self.ds is not None
        t0 = time.perf_counter()
        try:
            loads = self.models.loads
            pm = self.models.get(pane, opts)
            if self.models.loads != loads:
                freeze_heap()  # a model (and maybe torch) was just loaded: long-lived objects
            if worker.is_cancelled:
                return
            ctx.extra["should_stop"] = lambda: worker.is_cancelled
            recs = pm.model.recommend(session, k, exclude=blocked, context=ctx)
        except ModelNotReady as exc:
            self.post_message(PaneResult(pane, gen, not_ready=True, error=str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - shown in the pane, never a crash
            self.post_message(PaneResult(pane, gen, error=f"{type(exc).__name__}: {exc}"))
            return
        if worker.is_cancelled:
            return
        summary = summarize(self.ds, [r.artist_id for r in recs]).short()
        self.post_message(
            PaneResult(pane, gen, recs=list(recs), model_name=pm.name, note=pm.note, seconds=time.perf_counter() - t0, summary=summary)
        )

    @on(PaneResult)
    def pane_result(self, res: PaneResult) -> None:
        if res.gen != self.pane_gen[res.pane]:
            return  # a newer request is on its way
        p = self.query_one(f"#pane-{res.pane}", RecPane)
        p.remove_class("-stale")
        if res.not_ready and res.pane == "ga":
            self.pane_state["ga"] = "needs rnn"
            self.pane_recs["ga"] = []
            p.set_status(Text.assemble(("hybrid GA needs the RNN: " + NOT_TRAINED, "bold yellow"), "\n(h: back to the plain GA)"))
            self.pane_summary["ga"] = ""
        elif res.not_ready:
            self.pane_state[res.pane] = NOT_TRAINED
            self.pane_recs[res.pane] = []
            msg = Text(NOT_TRAINED, style="bold yellow")
            if self.train_job is not None and self.train_job.running:
                msg.append(f"\ntraining in the background: {self.train_status}", style="")
            p.set_status(msg)
            self.pane_summary[res.pane] = ""
        elif res.error:
            self.pane_state[res.pane] = "error"
            self.pane_recs[res.pane] = []
            p.set_status(Text(f"could not recommend: {res.error}", style="bold red"))
            self.pane_summary[res.pane] = ""
        else:
            if res.model_name not in self._frozen_after:
                self._frozen_after.add(res.model_name)
                freeze_heap()  # a model was just loaded: its objects are long-lived
            self.pane_state[res.pane] = "ok"
            self.pane_recs[res.pane] = res.recs
            self.pane_summary[res.pane] = res.summary
            self.pane_seconds[res.pane] = res.seconds
            status = Text()
            if res.note:
                status.append(res.note + "\n", style="yellow")
            if not (self.editor and self.editor.artists):
                status.append("empty session: showing a starting point — add artists\n", style="dim")
            status.rstrip()
            p.set_status(status)
        self.render_panes()

    def render_panes(self) -> None:
        if self.ds is None:
            return
        ids = {pane: {r.artist_id for r in self.pane_recs[pane]} for pane in ("rnn", "ga")}
        both = ids["rnn"] & ids["ga"]
        for pane in ("rnn", "ga"):
            p = self.query_one(f"#pane-{pane}", RecPane)
            items = [PaneItem(r, self.ds.artist_name(r.artist_id), r.artist_id in both) for r in self.pane_recs[pane]]
            p.rec_list.show(items)
            extra = f" · ◆{len(both)} in both" if both else ""
            p.set_summary(self.pane_summary[pane] + extra if self.pane_summary[pane] else "")
        self.update_explain()
        self.refresh_compare_session()

    @on(OptionList.OptionHighlighted, ".reclist")
    def rec_highlighted(self) -> None:
        self.update_explain()

    def update_explain(self) -> None:
        try:
            box = self.query_one("#explain", Static)
        except NoMatches:  # another screen (help, error) is on top
            return
        lst = self.focused if isinstance(self.focused, RecList) else self.query_one("#rnn-list", RecList)
        item = lst.current
        if item is None:
            box.update(Text("enter/a adds · b blocks · space expands · [ ] discovery · h hybrid · R retrain", style="dim"), layout=False)
            return
        t = Text.assemble((item.name, "bold"), f"  score {item.rec.score:.4g}  ", (item.rec.explanation, "italic"))
        for d in item.rec.details[:3]:
            t.append("\n  " + d, style="dim")
        box.update(t, layout=False)

    # ------------------------------------------------------------ training
    def default_train_request(self) -> RetrainRequest:
        return RetrainRequest("rnn", None, None, True)

    def train_argv(self, req: RetrainRequest) -> list[str]:
        if self.train_argv_factory is not None:
            return self.train_argv_factory(req)
        from tunerec.trainjob import train_command

        return train_command(req.model, epochs=req.epochs, all_users=req.all_users, time_budget=req.time_budget, data=self.data_path)

    def action_retrain(self) -> None:
        if self.train_job is not None and self.train_job.running:
            self.notify("a training run is already going — X cancels it", severity="warning")
            return

        def done(req: RetrainRequest | None) -> None:
            if req is not None:
                self.start_training(req)

        self.push_screen(RetrainDialog(("rnn",)), done)

    def start_training(self, req: RetrainRequest) -> None:
        from tunerec.trainjob import TrainJob, default_log_path

        job = TrainJob(self.train_argv(req), default_log_path(req.model))
        self.train_job = job
        self.train_model = req.model
        self.train_for_app = req.all_users
        self.train_status = "starting…"
        self.set_status(f"{req.model.upper()} training: starting… (X cancels)", busy=True)
        self.refresh_bindings()
        self.run_worker(partial(self._train_job, job), thread=True, group="train", exclusive=False, exit_on_error=False, name="train")

    def _train_job(self, job: "TrainJob") -> None:
        """Thread worker: run the training process and forward its progress lines."""
        t0 = time.monotonic()
        try:
            job.start()
        except OSError as exc:
            self.post_message(TrainFinished(-1, False, job.log_path, "", f"cannot start training: {exc}"))
            return
        for p in job.progress():
            self.post_message(TrainUpdate(p, time.monotonic() - t0))
        import subprocess

        try:
            rc = job.wait(10 if job.cancelled else None)
        except subprocess.TimeoutExpired:
            job.cancel(grace=0)
            rc = job.wait()
        self.post_message(TrainFinished(rc, job.cancelled, job.log_path, job.log_tail(), saved=job.saved))

    @on(TrainUpdate)
    def train_update(self, event: TrainUpdate) -> None:
        from tunerec.trainjob import TrainProgress, format_seconds

        p: TrainProgress = event.progress
        line = p.line()
        job = self.train_job
        if p.val_recall is None and job is not None and job.best_val is not None:
            line += f" · best val Recall@20 {job.best_val:.3f}"
        if p.eta is None and p.epoch and p.epochs and p.event == "epoch_end" and event.elapsed > 0:
            line += f" · ETA ~{format_seconds(event.elapsed / p.epoch * (p.epochs - p.epoch))}"
        self.train_status = line
        model = getattr(self, "train_model", "rnn").upper()
        self.set_status(f"{model} training: {line}  (X cancels)", p.fraction, busy=True)
        if self.pane_state.get("rnn") == NOT_TRAINED:
            self.query_one("#pane-rnn", RecPane).set_status(Text.assemble((NOT_TRAINED, "bold yellow"), f"\ntraining in the background: {line}"))

    @on(TrainFinished)
    def train_finished(self, event: TrainFinished) -> None:
        model = getattr(self, "train_model", "rnn")
        self.train_job = None
        self.refresh_bindings()
        if self.pane_state.get("rnn") == NOT_TRAINED:
            self.query_one("#pane-rnn", RecPane).set_status(Text(NOT_TRAINED, style="bold yellow"))
        if event.cancelled and not event.saved:
            self.set_status("")
            self.notify(f"{model.upper()} training cancelled — the previous model (if any) is kept", timeout=4)
        elif event.returncode == 0 and not event.error and not getattr(self, "train_for_app", True):
            self.set_status("")
            self.notify(f"{model.upper()} trained on the protocol's train users (for `tunerec eval`); the app's model is unchanged", timeout=6)
        elif event.returncode == 0 and not event.error:
            self.set_status("")
            if self.models is not None:
                self.models.invalidate(model)
            how = "stopped early; its best epoch was saved" if event.cancelled else "trained"
            self.notify(f"{model.upper()} model {how} — the panes now use it", timeout=4)
            self.schedule_recs(now=True)
        else:
            msg = event.error or f"training failed (exit {event.returncode}); the previous model is kept"
            detail = f"\n{event.tail}" if event.tail else ""
            self.set_status(f"{model.upper()} training failed — log: {event.log_path}")
            self.notify(f"{msg}{detail}\nlog: {event.log_path}", title="Training failed", severity="error", timeout=15)

    def action_cancel_training(self) -> None:
        job = self.train_job
        if job is None or not job.running:
            self.notify("no training is running", timeout=1.5)
            return
        job.terminate()
        self.set_status("cancelling training…", busy=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_training":
            return self.train_job is not None and self.train_job.running
        return True

    def check_autotrain(self) -> None:
        """First run: train the RNN in the background when no model exists (setting: autotrain)."""
        from tunerec.models import app_model_path

        if app_model_path("rnn").exists() or not train_command_available():
            return
        self.notify("No RNN model yet: training one in the background (turn off in settings ,). Browsing and the GA pane work now.", timeout=8)
        self.start_training(self.default_train_request())

    # ------------------------------------------------------------ export
    def _list_for(self, source: str) -> tuple[list[int], list[float] | None, list[str] | None, str]:
        assert self.editor is not None
        if source == "session":
            return self.editor.artists, None, None, self.editor.name
        recs = self.pane_recs.get(source, [])
        title = f"{self.editor.name} — {source.upper()} recommendations"
        return [r.artist_id for r in recs], [r.score for r in recs], [r.explanation for r in recs], title

    def action_export(self) -> None:
        if self.editor is None or self.ds is None:
            return
        from tunerec.export import FORMATS, default_export_path
        from tunerec.paths import home_dir

        folder = home_dir() / "exports"
        sources = [("session", "current session"), ("rnn", "RNN recommendations"), ("ga", "GA recommendations")]
        paths = {(s, f): str(default_export_path(folder, self._list_for(s)[3], f)) for s, _ in sources for f in FORMATS}
        current = self.query_one("#views", TabbedContent).active
        source = "session"
        if current == "recommend" and isinstance(self.focused, RecList):
            source = "ga" if self.focused.id == "ga-list" else "rnn"

        def done(req: ExportRequest | None) -> None:
            if req is not None:
                self.do_export(req)

        self.push_screen(ExportDialog(sources, source, paths), done)

    def do_export(self, req: ExportRequest) -> None:
        from tunerec.export import export_list, items_for, names_text

        assert self.ds is not None
        ids, scores, expl, title = self._list_for(req.source)
        if not ids:
            self.notify("that list is empty — nothing to export", severity="warning")
            return
        items = items_for(self.ds, ids, scores, expl)
        if req.clipboard:
            self.copy_to_clipboard(names_text(items))
            self.notify(f"copied {len(items)} artist names (if your terminal allows OSC 52)", timeout=3)
            return
        if not req.path:
            self.notify("give a file name", severity="warning")
            return
        try:
            path = export_list(items, req.fmt, req.path, title)
        except (OSError, ValueError) as exc:
            self.notify(f"cannot export: {exc}", severity="error")
            return
        self.last_export = path
        self.notify(f"saved {len(items)} artists to {path}", timeout=5)

    # ------------------------------------------------------------ compare
    def refresh_compare(self) -> None:
        from tunerec.evalcache import EvalCacheError, eval_dir, load_eval

        head = self.query_one("#compare-head", Static)
        table = self.query_one("#compare-table", DataTable)
        chart = self.query_one("#compare-chart", Static)
        table.clear(columns=True)
        try:
            ev = load_eval()
        except EvalCacheError as exc:
            head.update(Text(str(exc), style="bold red"))
            chart.update("")
            self.refresh_compare_session()
            return
        if ev is None:
            head.update(Text.assemble(("Offline evaluation\n", "bold"), (f"No cached results in {eval_dir()} yet: run `tunerec eval` (it caches its JSON there).", "dim")))
            chart.update("")
            self.refresh_compare_session()
            return
        shown = compare_metrics(ev.metrics)
        sampled = any(v for _, m in ev.rows for k, v in m.items() if k.endswith("sampled"))
        head.update(
            Text.assemble(
                ("Offline evaluation ", "bold"),
                (f"({ev.meta.get('protocol', 'protocol ?')}, {ev.path.name})", "dim"),
                (" — sampled events, indicative only" if sampled else "", "yellow"),
            )
        )
        table.add_column("model", key="model")
        for m in shown:
            table.add_column(m, key=m)
        for name, vals in ev.rows:
            table.add_row(name, *[Text(f"{vals[m]:.4g}" if m in vals else "—", justify="right") for m in shown])
        rec = ev.find_metric("recall", "20") or ev.find_metric("recall")
        nov = ev.find_metric("novelty")
        chart.update(compare_chart(ev.rows, rec, nov))
        self.refresh_compare_session()

    def refresh_compare_session(self) -> None:
        if self.ds is None or self.editor is None:
            return
        from tunerec.listinfo import summarize

        t = Text("This session's lists\n", style="bold")
        t.append(f"  session   {summarize(self.ds, self.editor.artists).line()}\n")
        for pane in ("rnn", "ga"):
            ids = [r.artist_id for r in self.pane_recs[pane]]
            t.append(f"  {pane.upper():<9} {summarize(self.ds, ids).line() if ids else '(no list)'}\n")
        self.query_one("#compare-session", Static).update(t)

    # ------------------------------------------------------------ views, help, settings
    def action_view(self, view: str) -> None:
        tabs = self.query_one("#views", TabbedContent)
        tabs.active = view
        self._focus_view(view)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        view = event.pane.id or ""
        if view == "compare":
            self.refresh_compare()
        self.call_after_refresh(self._focus_view, view)

    def _focus_view(self, view: str) -> None:
        target = FOCUS_TARGETS.get(view)
        if target is None:
            return
        pane = self.query_one(f"TabPane#{view}")
        if self.focused is None or pane not in self.focused.ancestors_with_self:
            self.screen.set_focus(self.query_one(target))

    def help_rows(self) -> list[HelpRow]:
        rows: list[HelpRow] = []
        seen: set[tuple[str, str]] = set()

        def add(where: str, bindings: Iterable[Binding | tuple]) -> None:
            for b in bindings:
                if isinstance(b, tuple):
                    b = Binding(*b)
                keys = ", ".join(self.get_key_display(Binding(k.strip(), b.action)) for k in b.key.split(","))
                if (where, keys) in seen:
                    continue
                seen.add((where, keys))
                rows.append(HelpRow(where, keys, b.description or b.action))

        add("everywhere", self.BINDINGS)
        add("everywhere", [Binding("ctrl+p", "command_palette", "Command palette: every action by name"), Binding("ctrl+q", "quit", "Quit")])
        add("everywhere", [Binding("tab,shift+tab", "focus", "Next / previous area"), Binding("escape", "back", "Leave a text field")])
        add("artist list", [Binding("enter", "add", "Add to session"), *ArtistTable.BINDINGS])
        add("session list", SessionList.BINDINGS + VimOptionList.BINDINGS)
        add("saved sessions", SavedList.BINDINGS)
        add("recommendations", [Binding("enter", "add", "Add to session"), *RecList.BINDINGS])
        return rows

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_rows()))

    def action_settings(self) -> None:
        if self.store is None:
            return
        blocked = sorted(self.store.blocked())
        names = [(a, self.ds.artist_name(a) if self.ds else f"#{a}") for a in blocked]
        themes = sorted(self.available_themes)

        def done(res: SettingsResult | None) -> None:
            if res is None or self.store is None:
                return
            self.theme = res.theme
            self.discovery = res.discovery
            self.k = res.k
            self.autotrain = res.autotrain
            for key, val in (("theme", res.theme), ("discovery", res.discovery), ("k", res.k), ("autotrain", res.autotrain)):
                self.store.set_setting(key, val)
            for a in res.unblock:
                self.store.unblock(a)
            self.update_knobs()
            self.schedule_recs()
            self.notify("settings saved", timeout=1.5)

        self.push_screen(SettingsScreen(themes, self.theme, self.discovery, self.k, self.autotrain, names), done)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for b in self.BINDINGS:
            assert isinstance(b, Binding)
            if b.action in ("quit",):
                continue
            yield SystemCommand(b.description, f"key: {b.key.replace(',', ' or ')}", partial(self.run_action, b.action))

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and isinstance(self.focused, Input) and self.screen is self.screen_stack[0]:
            if self.focused.id == "search" and self.focused.value:
                self.focused.value = ""
            else:
                self.query_one(FOCUS_TARGETS.get(self.query_one("#views", TabbedContent).active, "#artists")).focus()
        elif event.key == "down" and self.focused is self.query_one("#search", Input):
            self.query_one("#artists", ArtistTable).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if group.startswith("rec-") and event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            pane = group[4:]
            self._inflight[pane] = False
            if pane in self._rerun:
                self._rerun.discard(pane)
                self._pending_panes = set(getattr(self, "_pending_panes", set())) | {pane}
                self.start_recs()
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.name} failed: {event.worker.error}", title="Background task failed", severity="error", timeout=10)

    def on_unmount(self) -> None:
        job = self.train_job
        if job is not None and job.running:
            job.cancel(grace=2)
        if self.store is not None:
            self.store.close_quietly()


class SavedList(VimOptionList):
    """Saved sessions (option id = session id)."""

    BINDINGS = [
        Binding("d,delete", "delete", "Delete session"),
        Binding("c", "duplicate", "Duplicate session"),
        Binding("r", "rename", "Rename session"),
    ]

    sessions: list = []

    def _sid(self) -> int | None:
        if self.highlighted is None or not self.option_count:
            return None
        oid = self.get_option_at_index(self.highlighted).id
        return int(oid) if oid else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.app.open_saved(int(event.option.id))  # type: ignore[attr-defined]

    def action_delete(self) -> None:
        sid = self._sid()
        if sid is not None:
            self.app.delete_saved(sid)  # type: ignore[attr-defined]

    def action_duplicate(self) -> None:
        sid = self._sid()
        if sid is not None:
            self.app.duplicate_saved(sid)  # type: ignore[attr-defined]

    def action_rename(self) -> None:
        sid = self._sid()
        if sid is not None:
            self.app.rename_saved(sid)  # type: ignore[attr-defined]


def freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's reach.

    The dataset, search index and loaded models are hundreds of thousands of
    long-lived objects; without this, each full collection scans them all and
    freezes the UI for 0.3-0.6 s (measured by bench/bench_app_frames.py).
    """
    import gc

    gc.freeze()


def detail_text(ds: "Dataset", artist_id: int, in_session: bool) -> Text:
    """The artist detail panel: counts, top tags as chips, co-listened artists, friends' picks."""
    st = ds.artist_stats.loc[artist_id]
    t = Text()
    t.append(ds.artist_name(artist_id) + "\n", style="bold")
    t.append(f"#{artist_id}  ", style="dim")
    t.append(f"{int(st['listeners']):,} listeners · {int(st['plays']):,} plays\n\n")
    tags = ds.top_tags(artist_id, 8)
    if tags:
        for name, _ in tags:
            t.append(f" {name} ", style="reverse")
            t.append(" ")
        t.append("\n\n")
    co = ds.co_listened(artist_id, 8)
    if co:
        t.append("Most co-listened\n", style="bold underline")
        for a, sim in co:
            t.append(f"  {score_bar(sim, 5)} ", style="green")
            t.append(f"{ds.artist_name(a)}\n")
        t.append("\n")
    fp = ds.friends_picks(artist_id, 5)
    if fp:
        t.append("Friends of its listeners also play\n", style="bold underline")
        for a, c in fp:
            t.append(f"  {ds.artist_name(a)} ")
            t.append(f"({c} friends)\n", style="dim")
    if in_session:
        t.append("\n✓ in your session", style="green")
    else:
        t.append("\nenter / a: add to session", style="dim")
    return t


PREFERRED_METRICS = ("next.recall@20", "next.mrr@20", "list.recall@20", "list.ndcg@20", "list.ild@20", "list.novelty", "list.coverage")


def compare_metrics(metrics: list[str], limit: int = 7) -> list[str]:
    """The columns of the compare table: the headline metrics when present."""
    shown = [m for m in PREFERRED_METRICS if m in metrics]
    if shown:
        return shown
    skip = ("_s", "seconds", "sampled", "n_events", "n_sessions")
    return [m for m in metrics if not m.endswith(skip)][:limit]


def compare_chart(rows: list[tuple[str, dict[str, float]]], recall: str | None, novelty: str | None, width: int = 30) -> Text:
    """Bars of Recall@20 and novelty per model (each scaled to its best model)."""
    t = Text()
    for metric in (recall, novelty):
        if metric is None:
            continue
        vals = [(n, m[metric]) for n, m in rows if metric in m]
        if not vals:
            continue
        top = max(v for _, v in vals) or 1.0
        t.append(f"\n{metric}\n", style="bold")
        for n, v in vals:
            t.append(f"  {n:<14.14} ")
            t.append(score_bar(v / top if top > 0 else 0.0, width), style="green" if metric == recall else "magenta")
            t.append(f" {v:.4g}\n")
    return t


def train_command_available() -> bool:
    """True when this build's CLI has ``tunerec train``."""
    try:
        from tunerec.cli import build_parser

        parser = build_parser()
    except Exception:  # noqa: BLE001 - a broken command module must not stop the app
        return False
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and "train" in choices:
            return True
    return False
