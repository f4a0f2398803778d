"""The schedule picker: comparisons and presets on top, then the whole catalogue grouped by library.

Type to filter (every word must match the name, title, library, summary or example); ↓ or enter moves
into the list; enter picks. Picking posts KindPicked / PresetPicked / ComparisonPicked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lrtui.messages import ComparisonPicked, KindPicked, PresetPicked
from lrtui.schedules.catalogue import LIBRARIES, kinds
from lrtui.schedules.presets import comparisons, presets
from lrtui.widgets.inputs import TextInput


@dataclass(frozen=True)
class Entry:
    id: str  # "cmp:<name>" | "preset:<name>" | "kind:<name>"
    group: str
    title: str
    detail: str
    haystack: str


def catalogue_entries() -> list[Entry]:
    """Everything the picker lists, in display order."""
    out: list[Entry] = []
    for c in comparisons():
        out.append(
            Entry(
                f"cmp:{c.name}",
                "Comparisons (pin a whole set)",
                c.title,
                f"{c.source}: pins {len(c.members)} schedules. {c.note}".strip(),
                " ".join([c.name, c.title, c.source, *c.members]).lower(),
            )
        )
    for p in presets():
        out.append(
            Entry(
                f"preset:{p.name}",
                "Presets",
                p.title,
                f"{p.source}: {p.spec}. {p.note}".strip(),
                " ".join([p.name, p.title, p.source, p.spec, p.note]).lower(),
            )
        )
    by_library: dict[str, list] = {}
    for k in kinds():
        by_library.setdefault(k.library, []).append(k)
    for lib in [*LIBRARIES, *sorted(set(by_library) - set(LIBRARIES))]:
        for k in by_library.get(lib, []):
            title = k.name
            detail = f"{k.summary} e.g. {k.example}" if k.example else k.summary
            out.append(
                Entry(
                    f"kind:{k.name}",
                    LIBRARIES.get(lib, lib),
                    title,
                    detail,
                    " ".join([k.name, *k.aliases, lib, LIBRARIES.get(lib, ""), k.summary, k.example]).lower(),
                )
            )
    return out


def filter_entries(entries: list[Entry], query: str) -> list[Entry]:
    words = query.lower().split()
    return [e for e in entries if all(w in e.haystack for w in words)]


class PickerList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", show=False, id="picker.filter")
    ]

    def action_focus_filter(self) -> None:
        self.screen.query_one("#picker-filter", Input).focus()


class SchedulePicker(Vertical):
    """Filter input + grouped option list + a detail line for the highlighted entry."""

    DEFAULT_CSS = """
    SchedulePicker { height: 1fr; }
    SchedulePicker #picker-list { height: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    SchedulePicker #picker-detail { color: $text-muted; height: auto; max-height: 4; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries = catalogue_entries()
        self.shown: list[Entry] = []

    def compose(self) -> ComposeResult:
        yield TextInput(
            placeholder="type to filter: cosine, warmup, seed 001, timm…", id="picker-filter", compact=True
        )
        yield PickerList(id="picker-list", compact=True)
        yield Static("", id="picker-detail", markup=False)

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, query: str) -> None:
        self.shown = filter_entries(self.entries, query)
        options: list[Option | None] = []
        group = None
        for e in self.shown:
            if e.group != group:
                group = e.group
                options.append(Option(Text(f"── {group} ──", style="bold"), disabled=True))
            options.append(Option(Text(f"  {e.title}", no_wrap=True, overflow="ellipsis"), id=e.id))
        if not self.shown:
            options.append(Option(Text(f"nothing matches {query!r}", style="italic"), disabled=True))
        ol = self.query_one(PickerList)
        ol.clear_options()
        ol.add_options(options)
        first = next((i for i, o in enumerate(options) if o is not None and not o.disabled), None)
        if first is not None:
            ol.highlighted = first
        self._detail(self.shown[0] if self.shown else None)

    def _detail(self, entry: Entry | None) -> None:
        self.query_one("#picker-detail", Static).update(entry.detail if entry else "")

    def entry(self, entry_id: str | None) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        ol = self.query_one(PickerList)
        if ol.highlighted is not None:
            option = ol.get_option_at_index(ol.highlighted)
            if option.id:
                self.pick(option.id)

    def key_down(self) -> None:
        # ↓ from the filter moves into the list.
        if self.query_one("#picker-filter", Input).has_focus:
            self.query_one(PickerList).focus()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._detail(self.entry(event.option.id))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.pick(event.option.id)

    def pick(self, entry_id: str) -> None:
        what, _, name = entry_id.partition(":")
        message = {"cmp": ComparisonPicked, "preset": PresetPicked, "kind": KindPicked}[what](name)
        self.post_message(message)
