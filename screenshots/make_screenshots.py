"""Drive the app headless and save SVG (+ PNG via rsvg-convert when present) screenshots of its main states.

    .venv/bin/python screenshots/make_screenshots.py                 # every scenario at 80x24 and 200x60
    .venv/bin/python screenshots/make_screenshots.py -k compare      # scenarios whose name contains "compare"
    .venv/bin/python screenshots/make_screenshots.py --sizes 120x40  # other sizes

Add a state by appending a `Scenario` to SCENARIOS: a name, the command-line spec the app opens with, and
an async function that gets the Pilot and brings the app into the state (it may return nothing).
Files are written as screenshots/<name>-<W>x<H>.svg/.png.

Other screens bring their own scenario modules (screenshots/monitor_scenarios.py: SCENARIOS and
shoot(scenario, out_dir), each scenario with its own size): EXTRA_MODULES lists them; they run after ours
and follow -k too (--no-extra skips them).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lrtui.app import LrtuiApp  # noqa: E402
from lrtui.screens.preview import PreviewScreen  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = ((80, 24), (200, 60))
EXTRA_MODULES = (
    "monitor_scenarios",
    "sweep_scenarios",
    "doctor_scenarios",
)  # modules next to this file with SCENARIOS + shoot(scenario, out_dir)


async def settle(pilot) -> PreviewScreen | None:
    from tests.app.idle import settle as until_drawn

    screen = await until_drawn(pilot)
    return screen if isinstance(screen, PreviewScreen) else None


@dataclass(frozen=True)
class Scenario:
    name: str
    spec: str | None
    setup: Callable[..., Awaitable[None]]
    description: str = ""


# -- preview scenarios ------------------------------------------------------------------------------------


async def _default(pilot) -> None:
    await settle(pilot)


async def _warmup_cosine_cursor(pilot) -> None:
    screen = await settle(pilot)
    await screen.load_preset("warmup-cosine")
    await settle(pilot)
    screen.query_one("#plot").focus()
    # Put the cursor on the end of the warmup (g: go to step 500): the readout shows the peak LR exactly.
    await pilot.press("g", *"500", "enter")
    await settle(pilot)


async def _log_scale(pilot) -> None:
    screen = await settle(pilot)
    await screen.load_comparison("seed002")
    await settle(pilot)
    screen.query_one("#plot").focus()
    await pilot.press("l")
    await settle(pilot)


async def _compare(pilot) -> None:
    screen = await settle(pilot)
    await screen.load_comparison("seed001")
    await settle(pilot)
    screen.query_one("#plot").focus()
    await pilot.press("g", *"epoch 5", "enter")  # every pin's LR at the start of epoch 5
    await settle(pilot)


async def _lint_error(pilot) -> None:
    screen = await settle(pilot)
    screen.query_one("#set-stepping").value = "epoch"
    screen.query_one("#set-spe").value = "100"
    screen.query_one("#set-steps").value = "3000"
    await settle(pilot)
    screen.query_one("#plot").focus()
    await pilot.press("i")
    await settle(pilot)


async def _bad_value(pilot) -> None:
    screen = await settle(pilot)
    screen.query_one("#input-T_max").focus()
    screen.query_one("#input-T_max").value = "-5"
    await settle(pilot)


async def _export(pilot) -> None:
    screen = await settle(pilot)
    screen.query_one("#plot").focus()
    await pilot.press("e")
    await settle(pilot)


async def _picker(pilot) -> None:
    await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)
    await pilot.press(*"cosine")
    await settle(pilot)


async def _child_editor(pilot) -> None:
    screen = await settle(pilot)
    screen.query_one("#child-schedulers-1").focus()
    await pilot.press("ctrl+e")
    await pilot.pause()
    await pilot.pause()


async def _overflow(pilot) -> None:
    screen = await settle(pilot)
    steps = screen.query_one("#set-steps")
    steps.focus()
    steps.value = "10000"  # ExponentialLR(gamma=1.1) leaves the float range at step ~7,450
    await settle(pilot)
    screen.query_one("#plot").focus()
    await settle(pilot)


async def _help(pilot) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


SCENARIOS: list[Scenario] = [
    Scenario("preview-default", None, _default, "the app as `lrtui` opens it"),
    Scenario("preview-warmup-cosine-cursor", None, _warmup_cosine_cursor, "linear warmup + cosine, cursor"),
    Scenario("preview-log-scale", None, _log_scale, "seed 002's five schedules on a log axis"),
    Scenario("preview-compare-seed001", None, _compare, "seed 001's comparison preset, pinned"),
    Scenario(
        "preview-lint-error",
        "OneCycleLR(max_lr=0.1, total_steps=1000)",
        _lint_error,
        "OneCycleLR stepped per epoch: a lint error",
    ),
    Scenario(
        "preview-bad-value",
        "CosineAnnealingLR(T_max=100, eta_min=1e-6)",
        _bad_value,
        "a rejected value: the message, the last valid curve stays",
    ),
    Scenario("preview-export", "CosineAnnealingLR(T_max=100, eta_min=1e-6)", _export, "the export panel"),
    Scenario("preview-picker", None, _picker, "the picker, filtered by typing 'cosine'"),
    Scenario("preview-child-editor", None, _child_editor, "SequentialLR's second child in its own form"),
    Scenario(
        "preview-overflow",
        "ExponentialLR(gamma=1.1)",
        _overflow,
        "a schedule that overflows: drawn up to inf, marked, said first in the status line",
    ),
    Scenario("help-overlay", None, _help, "the ? overlay, generated from the bindings"),
]


async def shoot(scenario: Scenario, size: tuple[int, int], out: Path) -> Path:
    app = LrtuiApp(spec=scenario.spec, theme="textual-dark")
    async with app.run_test(size=size) as pilot:
        await scenario.setup(pilot)
        path = out / f"{scenario.name}-{size[0]}x{size[1]}.svg"
        app.save_screenshot(str(path.name), path=str(out))
    return path


_BRAILLE_RUN = re.compile(
    r'<text (?P<head>[^>]*?)x="(?P<x>[\d.]+)"(?P<mid>[^>]*?)textLength="(?P<len>[\d.]+)"(?P<tail>[^>]*)>'
    r"(?P<body>[^<]*[\u2800-\u28ff][^<]*)</text>"
)


def _one_text_per_cell(match: re.Match) -> str:
    cells = re.findall(r"&[^;]+;|.", match["body"])  # an entity such as &#160; is one cell
    width = float(match["len"]) / len(cells)
    x0 = float(match["x"])
    return "".join(
        f'<text {match["head"]}x="{x0 + i * width:.1f}"{match["mid"]}textLength="{width:.1f}"{match["tail"]}>'
        f"{ch}</text>"
        for i, ch in enumerate(cells)
        if ch not in (" ", "&#160;")
    )


def to_png(svg: Path) -> Path | None:
    """PNG next to the SVG with rsvg-convert (None when it is not installed).

    The SVG gets xml:space="preserve" first: rsvg drops the leading spaces of text runs otherwise (Rich
    writes them as &#160;, which rsvg still trims at run starts), which glues words together in the PNG.
    Runs of braille (the plots' lines) are split into one element per cell: the fallback font draws braille
    wider than a terminal cell and rsvg ignores textLength, so long lines would run past the plot frame.
    """
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    fixed = svg.with_suffix(".preserve.svg")
    text = svg.read_text().replace("<svg ", '<svg xml:space="preserve" ', 1)
    fixed.write_text(_BRAILLE_RUN.sub(_one_text_per_cell, text))
    png = svg.with_suffix(".png")
    subprocess.run([tool, str(fixed), "-o", str(png)], check=True)
    fixed.unlink()
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only scenarios whose name contains this")
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES), help="e.g. 80x24,200x60")
    parser.add_argument("--out", default=str(OUT), help="output directory")
    parser.add_argument("--no-extra", action="store_true", help="only the preview scenarios of this file")
    args = parser.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",") if s]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert not found: writing SVG only (apt-get install librsvg2-bin for PNG)")
    for scenario in SCENARIOS:
        if args.k not in scenario.name:
            continue
        for size in sizes:
            svg = asyncio.run(shoot(scenario, size, out))
            png = to_png(svg)
            print(f"{svg.relative_to(out)}{' + ' + png.name if png else ''}  ({scenario.description})")
    if not args.no_extra:
        run_extra(out, args.k)
    return 0


def run_extra(out: Path, k: str) -> None:
    import importlib
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for name in EXTRA_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        cwd = os.getcwd()
        os.chdir(ROOT)  # their scenarios show paths relative to the repository
        try:
            for scenario in module.SCENARIOS:
                if k in scenario.name:
                    svg, png = module.shoot(scenario, out)
                    print(f"{svg.name}{' + ' + png.name if png else ''}  ({name})")
        finally:
            os.chdir(cwd)


if __name__ == "__main__":
    raise SystemExit(main())
