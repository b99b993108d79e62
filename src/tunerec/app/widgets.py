"""Widgets of the tunerec app: artist table, session list, recommendation panes, status bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from textual.widget import Widget

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from tunerec.browse import ArtistRow
    from tunerec.recommenders.base import Recommendation

BAR = " ▏▎▍▌▋▊▉█"


def score_bar(fraction: float, width: int = 8) -> str:
    """A horizontal bar of ``width`` cells filled to ``fraction`` (eighth-cell resolution)."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = int(round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    s = "█" * full + (BAR[part] if part and full < width else "")
    return s.ljust(width)


def human(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


def clip(text: str | Text, widget: "Widget", fallback: int = 60) -> Text:
    """``text`` cut to one line of ``widget``'s width (with an ellipsis)."""
    t = Text(text) if isinstance(text, str) else text.copy()
    w = widget.scrollable_content_region.width or widget.size.width or fallback
    t.truncate(max(8, w - 1), overflow="ellipsis")
    return t


class AddArtist(Message):
    """Add an artist to the current session."""

    def __init__(self, artist_id: int) -> None:
        super().__init__()
        self.artist_id = artist_id


class BlockArtist(Message):
    """Put an artist on the blocklist."""

    def __init__(self, artist_id: int) -> None:
        super().__init__()
        self.artist_id = artist_id


class VimOptionList(OptionList):
    """An OptionList that also moves with j/k; ``set_lines`` keeps one line per option."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    _clip_lines: list[tuple[str, str | None]] = []

    def set_lines(self, lines: Sequence[tuple[str, str | None]]) -> None:
        """(text, option id) pairs, each cut to the list's width (again on resize)."""
        self._clip_lines = list(lines)
        old = self.highlighted
        self.clear_options()
        self.add_options([Option(clip(text, self), id=oid) for text, oid in self._clip_lines])
        if self._clip_lines:
            self.highlighted = min(old or 0, len(self._clip_lines) - 1)

    def on_resize(self) -> None:
        if self._clip_lines:
            self.set_lines(self._clip_lines)


class ArtistTable(DataTable):
    """The browse list: one row per artist (key = artist id)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("a", "add", "Add to session"),
    ]

    def __init__(self, **kw) -> None:  # noqa: ANN003
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)

    def on_mount(self) -> None:
        self.add_column("artist", key="name", width=26)
        self.add_column("listeners", key="listeners", width=9)
        self.add_column("plays", key="plays", width=7)

    def show_rows(self, rows: Sequence["ArtistRow"]) -> None:
        self.clear()
        self.append_rows(rows)
        if rows:
            self.move_cursor(row=0)

    def append_rows(self, rows: Sequence["ArtistRow"]) -> None:
        for r in rows:
            self.add_row(
                Text(r.name, no_wrap=True, overflow="ellipsis"),
                Text(f"{r.listeners:,}", justify="right"),
                Text(human(r.plays), justify="right"),
                key=str(r.artist_id),
            )

    @property
    def current_artist(self) -> int | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - empty or stale cursor
            return None
        return int(key.value) if key.value is not None else None

    def action_add(self) -> None:
        aid = self.current_artist
        if aid is not None:
            self.post_message(AddArtist(aid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(AddArtist(int(event.row_key.value)))


class SessionList(VimOptionList):
    """The current session, in order (option id = position)."""

    BINDINGS = [
        Binding("d,delete", "remove", "Remove"),
        Binding("shift+up", "move(-1)", "Move up"),
        Binding("shift+down", "move(1)", "Move down"),
    ]

    class Remove(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Move(Message):
        def __init__(self, index: int, delta: int) -> None:
            super().__init__()
            self.index = index
            self.delta = delta

    def show(self, names: Sequence[str], highlight: int | None = None) -> None:
        old = self.highlighted
        self.clear_options()
        self.names = list(names)
        w = max(10, (self.scrollable_content_region.width or self.size.width or 40) - 1)
        opts = []
        for i, n in enumerate(names):
            t = Text(f"{i + 1:>2}. {n}")
            t.truncate(w, overflow="ellipsis")
            opts.append(Option(t))
        self.add_options(opts)
        if names:
            h = highlight if highlight is not None else (old if old is not None else 0)
            self.highlighted = max(0, min(len(names) - 1, h))

    names: list[str] = []

    def on_resize(self) -> None:
        if self.names:
            self.show(self.names, self.highlighted)

    def action_remove(self) -> None:
        if self.highlighted is not None and self.option_count:
            self.post_message(self.Remove(self.highlighted))

    def action_move(self, delta: int) -> None:
        if self.highlighted is not None and self.option_count:
            self.post_message(self.Move(self.highlighted, delta))


@dataclass
class PaneItem:
    rec: "Recommendation"
    name: str
    in_both: bool


class RecList(VimOptionList):
    """A ranked recommendation list with score bars and one-line explanations."""

    BINDINGS = [
        Binding("a", "add", "Add to session"),
        Binding("b", "block", "Block artist"),
        Binding("space", "expand", "Expand"),
    ]

    def __init__(self, **kw) -> None:  # noqa: ANN003
        super().__init__(**kw)
        self.items: list[PaneItem] = []
        self.expanded: set[int] = set()

    def show(self, items: list[PaneItem]) -> None:
        old = self.highlighted
        same = [i.rec.artist_id for i in items] == [i.rec.artist_id for i in self.items]
        self.items = items
        if not same:
            self.expanded.clear()
        self._render_items()
        if items:
            self.highlighted = old if (same and old is not None and old < len(items)) else 0

    def _render_items(self) -> None:
        items = self.items
        top = max((abs(i.rec.score) for i in items), default=1.0) or 1.0
        lo = min((i.rec.score for i in items), default=0.0)
        span = (top - lo) if lo < 0 else top
        opts = []
        for n, it in enumerate(items):
            frac = (it.rec.score - min(lo, 0.0)) / span if span else 1.0
            mark = "◆" if it.in_both else " "
            head = Text.assemble(
                (f"{n + 1:>2} ", "dim"),
                (mark, "bold yellow" if it.in_both else ""),
                (f"{it.name}", "bold" if it.in_both else ""),
                no_wrap=True,
                overflow="ellipsis",
            )
            bar = Text.assemble(("   ", ""), (score_bar(frac), "green"), (f" {it.rec.score:.3g}", "dim"), no_wrap=True)
            lines = [head, bar + Text("  " + it.rec.explanation, style="italic")]
            if n in self.expanded:
                for d in it.rec.details or ("(no further details)",):
                    lines.append(Text("      " + d, style="dim"))
            width = self._line_width()
            for line in lines:
                line.truncate(width, overflow="ellipsis")
            opts.append(Option(Text("\n").join(lines)))
        self.clear_options()
        self.add_options(opts)

    def _line_width(self) -> int:
        w = self.scrollable_content_region.width or self.size.width
        return max(16, w - 1) if w else 60

    def on_resize(self) -> None:
        if self.items:
            h = self.highlighted
            self._render_items()
            self.highlighted = h

    def on_focus(self) -> None:
        explain = getattr(self.app, "update_explain", None)
        if explain is not None:
            explain()

    @property
    def current(self) -> PaneItem | None:
        if self.highlighted is None or not self.items or self.highlighted >= len(self.items):
            return None
        return self.items[self.highlighted]

    def action_add(self) -> None:
        if self.current is not None:
            self.post_message(AddArtist(self.current.rec.artist_id))

    def action_block(self) -> None:
        if self.current is not None:
            self.post_message(BlockArtist(self.current.rec.artist_id))

    def action_expand(self) -> None:
        h = self.highlighted
        if h is None:
            return
        self.expanded ^= {h}
        self._render_items()
        self.highlighted = h

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.items):
            self.post_message(AddArtist(self.items[event.option_index].rec.artist_id))


class RecPane(Vertical):
    """One model's pane: title, status/summary lines, the ranked list."""

    def __init__(self, pane: str, title: str, **kw) -> None:  # noqa: ANN003
        super().__init__(**kw)
        self.pane = pane
        self.border_title = title

    def compose(self) -> ComposeResult:
        if self.pane == "ga":
            yield Static("", classes="knobs", id=f"{self.pane}-knobs")
        yield Static("", classes="pane-status", id=f"{self.pane}-status")
        yield RecList(id=f"{self.pane}-list", classes="reclist")
        yield Static("", classes="pane-summary", id=f"{self.pane}-summary")

    @property
    def rec_list(self) -> RecList:
        return self.query_one(RecList)

    def set_status(self, text: str | Text) -> None:
        key = text.markup if isinstance(text, Text) else text
        if key == getattr(self, "_status_key", None):
            return  # unchanged: no repaint, no layout
        self._status_key = key
        w = self.query_one(f"#{self.pane}-status", Static)
        lines_before = getattr(self, "_status_lines", -1)
        lines = 0 if not str(text).strip() else len(str(text).splitlines())
        self._status_lines = lines
        w.update(text, layout=lines != lines_before)
        w.display = lines > 0

    def set_summary(self, text: str) -> None:
        self.query_one(f"#{self.pane}-summary", Static).update(text, layout=False)


class StatusBar(Horizontal):
    """One line at the bottom: what runs in the background (loading, training)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="status-text")
        yield ProgressBar(total=None, show_eta=False, show_percentage=True, id="status-progress")

    def set(self, text: str, progress: float | None = None, busy: bool = False) -> None:
        self.query_one("#status-text", Static).update(text, layout=False)
        bar = self.query_one(ProgressBar)
        if progress is None and not busy:
            bar.display = False
            return
        bar.display = True
        if progress is None:
            bar.update(total=None)
        else:
            bar.update(total=100, progress=round(progress * 100))
