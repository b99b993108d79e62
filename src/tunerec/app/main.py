"""Minimal app: loads the dataset in a worker and shows its summary."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class TunerecApp(App):
    TITLE = "tunerec"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, data_path: str | None = None) -> None:
        super().__init__()
        self.data_path = data_path
        self.dataset = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the Last.fm dataset…", id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.load_data()

    @work(thread=True, exclusive=True)
    def load_data(self) -> None:
        from tunerec.data import DataError, load_dataset

        try:
            ds = load_dataset(self.data_path)
        except DataError as exc:
            self.call_from_thread(self.query_one("#summary", Static).update, f"Cannot load the dataset:\n{exc}\n\nFix: tunerec --data PATH")
            return
        s = ds.summary()
        text = "\n".join(f"{k}: {v}" for k, v in s.items())
        self.dataset = ds
        self.call_from_thread(self.query_one("#summary", Static).update, text)
