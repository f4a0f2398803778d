"""Foreign logs: lrtui against TensorBoard's EventAccumulator and tbparse, side by side in one run.

    .venv/bin/python benchmarks/sources.py            # 200,000 steps x 4 tags, 8 s of tailing per case
    .venv/bin/python benchmarks/sources.py --quick    # 50,000 steps, 4 s of tailing, no peers' full read

Rows:
  load          an event file written by the real torch SummaryWriter (N steps x 4 scalar tags), read in full:
                - lrtui to full panels: pushing the monitor until LR, loss (+EMA) and accuracy have rendered
                  every point (headless App.run_test, as a terminal would get it);
                - lrtui read only (TensorBoardSource.read_all), with and without CRC-32C checks;
                - tensorboard's EventAccumulator(size_guidance={'scalars': 0}) (full resolution) + Scalars();
                - tbparse SummaryReader(dir).scalars.
  schema        how the Event protobuf is decoded, measured on the same records (the decision in
                docs/sources.md): tensorboard's compiled protos (upb runtime) one record at a time, lrtui's
                hand-written wire decoder one at a time, lrtui's vectorised decoder over all records.
  crc           masked CRC-32C of every record: lrtui's numpy implementation vs pure Python (tensorboard's
                own, on a sample, extrapolated).
  tail          a real SummaryWriter process appending 2,000 scalars/s (500 steps/s x 4 tags, flushed every
                0.1 s) while the monitor is open: frame time from redraw tick to the frame on screen.
  scan          a tree of 1,000 runs (--runs N: another count; TensorBoard, Lightning CSVLogger, HF
                trainer_state.json, lrtui), from pushing the runs screen to the first frame whose list holds
                all of them (the list's first line drawn: the compositor draws lines just before it writes
                the frame); then until every row has its last step and best metric.
Targets: full panels >= 10x faster than EventAccumulator and >= 5x than tbparse; tail p95 <= 50 ms;
scan to a listed runs screen <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/monitor.py

import lrtui.app  # noqa: E402, F401  (first, as in `lrtui watch`: it sets the app's frame rate before textual loads)

# isort: split
from monitor import _instrument  # noqa: E402  (benchmarks/monitor.py: marks charts dirty until rendered)
from textual.app import App  # noqa: E402

from lrtui.screens.monitor import RunMonitorScreen  # noqa: E402
from lrtui.screens.runs import RunsScreen  # noqa: E402
from lrtui.sources.tensorboard import TensorBoardSource  # noqa: E402
from lrtui.widgets.lazy_table import LazyTable  # noqa: E402
from lrtui.widgets.plot import CurvePlot  # noqa: E402

TAGS = ("train/loss", "train/learning_rate", "train/grad_norm", "train/accuracy")
CACHE = Path(tempfile.gettempdir()) / "lrtui-bench-sources"

WRITE_BIG = textwrap.dedent("""
    import math, sys
    import numpy as np
    from torch.utils.tensorboard import SummaryWriter
    n, out = int(sys.argv[1]), sys.argv[2]
    w = SummaryWriter(out, max_queue=1000, flush_secs=3600)
    rng = np.random.default_rng(0)
    loss = (2.3 * np.exp(-np.arange(n) / (n / 5)) + 0.2 + rng.normal(0, 0.05, n)).tolist()
    for s in range(n):
        w.add_scalar("train/loss", loss[s], s)
        w.add_scalar("train/learning_rate", 0.1 * 0.5 * (1 + math.cos(math.pi * s / n)), s)
        w.add_scalar("train/grad_norm", 1.0 + 0.1 * math.sin(s), s)
        w.add_scalar("train/accuracy", min(0.99, s / n), s)
    w.close()
""")

TAIL_WRITER = textwrap.dedent("""
    import math, sys, time
    from torch.utils.tensorboard import SummaryWriter
    out, rate, seconds, start = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    w = SummaryWriter(out, max_queue=100000, flush_secs=3600)
    print("ready", flush=True)
    sys.stdin.readline()  # go
    t0 = time.perf_counter()
    k = 0
    last_flush = t0
    while True:
        now = time.perf_counter()
        if now - t0 >= seconds:
            break
        due = int((now - t0) * rate)
        while k < due:
            s = start + k
            w.add_scalar("train/loss", 2.0 / (1 + s / 1e4), s)
            w.add_scalar("train/learning_rate", 0.1 * 0.5 * (1 + math.cos(math.pi * min(s / 2e6, 1))), s)
            w.add_scalar("train/grad_norm", 1.0, s)
            w.add_scalar("train/accuracy", min(0.99, s / 1e6), s)
            k += 1
        if now - last_flush >= 0.1:
            w.flush()
            last_flush = now
        time.sleep(0.002)
    w.close()
    print(k * 4, flush=True)
""")


def event_run(n: int) -> Path:
    """The N-step event file (cached across runs of this script: writing it takes a minute)."""
    out = CACHE / f"tb{n}"
    if not (out / "done").exists():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", WRITE_BIG, str(n), str(out)], check=True)
        (out / "done").write_text(f"{time.perf_counter() - t:.1f}")
    return out


class BenchApp(App):
    def __init__(self, make) -> None:
        super().__init__()
        self.make = make
        self.target = None

    def open(self):
        self.target = self.make()
        self.push_screen(self.target)
        return self.target


def _panels_complete(screen: RunMonitorScreen, n: int) -> bool:
    snap = screen.drawn
    if snap is None or snap.loss.size != n or snap.steps.size != n or not screen.is_mounted:
        return False
    charts = screen._charts()
    if any(chart.needs(snap) for chart in charts):
        return False
    return all(c.plot.render_info is not None and not getattr(c.plot, "bench_pending", True) for c in charts)


async def full_panels(run_dir: Path, n: int, size: tuple[int, int]) -> dict:
    app = BenchApp(lambda: RunMonitorScreen(run_dir, source_format="tensorboard", sample_device=False))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        screen = app.open()
        await asyncio.sleep(0)
        instrumented = False
        first = None
        while not _panels_complete(screen, n):
            if not instrumented and screen.is_mounted and screen.query(CurvePlot):
                _instrument(screen)
                instrumented = True
            if first is None and screen.latest is not None:
                first = time.perf_counter()
            await asyncio.sleep(0.001)
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("the monitor did not show the run within 120 s")
        total = time.perf_counter() - t0
    return {"total": total, "worker": (first or t0) - t0}


def read_only(run_dir: Path, check: bool) -> float:
    import lrtui.sources.tensorboard as tbmod

    original = tbmod.frame
    if not check:
        tbmod.frame = lambda data, **kw: original(data, check_data=False, **kw)
    try:
        t = time.perf_counter()
        source = TensorBoardSource(run_dir).read_all()
        elapsed = time.perf_counter() - t
    finally:
        tbmod.frame = original
    assert all(len(source.store.get(tag)) == len(source.store.get(TAGS[0])) for tag in TAGS)
    return elapsed


def event_accumulator(run_dir: Path) -> float:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    t = time.perf_counter()
    ea = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    ea.Reload()
    points = sum(len(ea.Scalars(tag)) for tag in ea.Tags()["scalars"])
    elapsed = time.perf_counter() - t
    assert points > 0
    return elapsed


def tbparse_read(run_dir: Path) -> float:
    from tbparse import SummaryReader

    t = time.perf_counter()
    df = SummaryReader(str(run_dir)).scalars
    elapsed = time.perf_counter() - t
    assert len(df) > 0
    return elapsed


def schema_and_crc(run_dir: Path) -> list[tuple[str, str]]:
    """The decoding alternatives and the CRC alternatives on the same framed records."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    from lrtui.sources.crc32c import crc32c_many, masked
    from lrtui.sources.protowire import parse_event
    from lrtui.sources.tfevents import PAD, TagTable, decode
    from lrtui.sources.tfrecord import frame

    file = next(run_dir.glob("events.out.tfevents.*"))
    data = file.read_bytes()
    fr = frame(data, check_data=False)
    starts, lengths = fr.starts.tolist(), fr.lengths.tolist()
    n = len(starts)
    rows = []
    t = time.perf_counter()
    count = 0
    for s, ln in zip(starts, lengths):
        ev = event_pb2.Event.FromString(data[s : s + ln])
        for v in ev.summary.value:
            if v.HasField("simple_value"):
                count += 1
    pb = time.perf_counter() - t
    t = time.perf_counter()
    for s, ln in zip(starts, lengths):
        parse_event(data, s, s + ln)
    wire = time.perf_counter() - t
    arr = np.frombuffer(data + bytes(PAD), np.uint8)
    t = time.perf_counter()
    d = decode(arr, fr.starts, fr.lengths, TagTable())
    vec = time.perf_counter() - t
    assert d.values.size == count
    rows.append(
        (
            f"schema: decode {n:,} records",
            f"tensorboard compiled protos (upb) {pb * 1000:.0f} ms · lrtui wire decoder per record "
            f"{wire * 1000:.0f} ms · lrtui vectorised {vec * 1000:.0f} ms ({pb / vec:.0f}x faster than protos)",
        )
    )
    buf = np.frombuffer(data, np.uint8)
    t = time.perf_counter()
    crc = masked(crc32c_many(buf, fr.starts, fr.lengths))
    numpy_s = time.perf_counter() - t
    sample = min(n, 20_000)
    t = time.perf_counter()
    for s, ln in zip(starts[:sample], lengths[:sample]):
        masked_crc32c(data[s : s + ln])
    py_s = (time.perf_counter() - t) * n / sample
    assert int(crc[0]) == masked_crc32c(data[starts[0] : starts[0] + lengths[0]])
    t = time.perf_counter()
    frame(data, check_data=True)
    with_check = time.perf_counter() - t
    t = time.perf_counter()
    frame(data, check_data=False)
    without = time.perf_counter() - t
    rows.append(
        (
            f"crc: data checksums of {n:,} records ({len(data) / 1e6:.0f} MB)",
            f"lrtui numpy {numpy_s * 1000:.0f} ms · pure Python (tensorboard's) ~{py_s * 1000:.0f} ms "
            f"({py_s / numpy_s:.0f}x) · framing with checks {with_check * 1000:.0f} ms, without {without * 1000:.0f} ms",
        )
    )
    return rows


async def tail_latency(
    run_dir: Path, seconds: float, size: tuple[int, int], start: int, rate: float = 500.0
) -> dict:
    app = BenchApp(lambda: RunMonitorScreen(run_dir, source_format="tensorboard", sample_device=False))
    frame_ms: list[float] = []
    lateness_ms: list[float] = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writer = subprocess.Popen(
        [sys.executable, "-c", TAIL_WRITER, str(run_dir), str(rate), str(seconds), str(start)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "ready"  # torch imported: the clock starts now
    async with app.run_test(size=size) as pilot:
        screen = app.open()
        while screen.drawn is None:
            await asyncio.sleep(0.01)
        await pilot.pause(0.5)

        def redrawn(_snap) -> None:
            started = screen.redraw_started_at

            def done() -> None:
                frame_ms.append(1000 * (time.perf_counter() - started))

            screen.call_after_refresh(done)

        screen.on_redraw = redrawn
        period = 0.02
        expected = [time.perf_counter() + period]

        def ping() -> None:
            now = time.perf_counter()
            lateness_ms.append(1000 * max(0.0, now - expected[0]))
            expected[0] = now + period

        app.set_interval(period, ping)
        before = screen.drawn.loss.size
        redraws_before = screen.redraws
        writer.stdin.write("go\n")
        writer.stdin.flush()
        t0 = time.perf_counter()
        while writer.poll() is None:
            await asyncio.sleep(0.05)
        written = int(writer.stdout.read().strip() or 0)
        await pilot.pause(1.0)
        elapsed = time.perf_counter() - t0
        shown = 4 * (screen.drawn.loss.size - before)
        redraws = screen.redraws - redraws_before
    frame = np.array(frame_ms) if frame_ms else np.array([math.nan])
    late = np.array(lateness_ms) if lateness_ms else np.array([math.nan])
    return {
        "written": written,
        "shown": shown,
        "redraws_per_s": redraws / elapsed,
        "frame_p50": float(np.percentile(frame, 50)),
        "frame_p95": float(np.percentile(frame, 95)),
        "frame_max": float(frame.max()),
        "late_p95": float(np.percentile(late, 95)),
    }


def make_tree(root: Path, runs: int = 1000) -> dict:
    """`runs` runs of all formats, their files written by the real writers (then copied: writing 1,000
    runs with each writer would take minutes and measure the writers, not the scan)."""
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.tensorboard import SummaryWriter
    from transformers.trainer_callback import TrainerState

    from lrtui.runs import RunLogger

    seeds = root / "_seed"
    w = SummaryWriter(str(seeds / "tb"))
    for s in range(200):
        w.add_scalar("train/loss", 1.0 / (s + 1), s)
        w.add_scalar("train/learning_rate", 0.1, s)
        w.add_scalar("eval/accuracy", s / 200, s)
    w.close()
    logger = CSVLogger(str(seeds / "pl"), name="lightning_logs")
    logger.log_hyperparams({"lr": 0.1})
    for s in range(200):
        logger.log_metrics({"train_loss": 1.0 / (s + 1), "lr-SGD": 0.1, "val_acc": s / 200}, step=s)
    logger.save()
    state = TrainerState(global_step=200, max_steps=200, num_train_epochs=2)
    state.log_history = [
        {"step": s, "loss": 1.0 / s, "learning_rate": 1e-3, "epoch": s / 100} for s in range(1, 201)
    ]
    state.log_history += [{"step": 200, "eval_loss": 0.5, "eval_accuracy": 0.9, "epoch": 2.0}]
    (seeds / "hf").mkdir(parents=True)
    state.save_to_json(str(seeds / "hf" / "trainer_state.json"))
    with RunLogger({"model": "net"}, runs_dir=seeds / "lrtui", handle_sigterm=False) as log:
        for s in range(200):
            log.step(s, lr=0.1, loss=1.0 / (s + 1))
        log.epoch(0, test_acc=0.9)
    lrtui_seed = next((seeds / "lrtui").iterdir())
    tb_file = next((seeds / "tb").glob("events.out.tfevents.*"))
    pl_dir = Path(logger.log_dir)
    counts = {"tensorboard": 0, "lightning": 0, "hf-trainer": 0, "lrtui": 0}
    for i in range(runs):
        group = root / "exp" / f"project{i // 50:02d}"
        kind = ("tensorboard", "lightning", "hf-trainer", "lrtui")[i % 4]
        counts[kind] += 1
        if kind == "tensorboard":
            d = group / f"tb_run{i:04d}"
            d.mkdir(parents=True)
            shutil.copy(tb_file, d / tb_file.name)
        elif kind == "lightning":
            d = group / "lightning_logs" / f"version_{i}"
            shutil.copytree(pl_dir, d)
        elif kind == "hf-trainer":
            d = group / f"hf_out{i:04d}"
            d.mkdir(parents=True)
            shutil.copy(seeds / "hf" / "trainer_state.json", d / "trainer_state.json")
        else:
            shutil.copytree(lrtui_seed, group / f"lrtui-{i:04d}")
    shutil.rmtree(seeds)
    return counts


def _mark_rows_drawn(runs: int) -> dict:
    """Record when LazyTable first draws a line while it holds `runs` rows (the frame that shows them:
    the compositor renders lines just before it writes the frame). Benchmark bookkeeping only."""
    seen: dict = {}
    render_line = LazyTable.render_line

    def marked(table: LazyTable, y: int):
        if "at" not in seen and table.row_count >= runs and y > 0:
            seen["at"] = time.perf_counter()
        return render_line(table, y)

    LazyTable.render_line = marked  # type: ignore[method-assign]
    seen["undo"] = lambda: setattr(LazyTable, "render_line", render_line)
    return seen


async def scan_screen(root: Path, runs: int) -> dict:
    app = BenchApp(
        lambda: RunsScreen(
            root / "no-runs-dir", scan_roots=[root], include_runs_dir=False, sample_device=False
        )
    )
    drawn = _mark_rows_drawn(runs)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            t0 = time.perf_counter()
            screen = app.open()
            while not screen.detailed:
                await asyncio.sleep(0.002)
                if time.perf_counter() - t0 > 300:
                    raise RuntimeError("the runs screen did not list the tree within 300 s")
            detailed = time.perf_counter() - t0
            table = screen.query_one(LazyTable)
            if "at" not in drawn or table.row_count < runs:
                raise RuntimeError(f"{table.row_count} of {runs} runs listed")
            filled = sum(1 for r in screen.summaries.values() if r.step is not None)
    finally:
        drawn["undo"]()
    return {"listed": drawn["at"] - t0, "detailed": detailed, "filled": filled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50k steps, 4 s of tailing, 200 runs scanned")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--runs", type=int, default=None, help="runs in the scanned tree (default 1,000)")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: load,schema,tail,scan")
    args = parser.parse_args()
    n = args.steps or (50_000 if args.quick else 200_000)
    seconds = args.seconds or (4.0 if args.quick else 8.0)
    skip = set(filter(None, args.skip.split(",")))
    print(f"load average {os.getloadavg()[0]:.2f}; np.cos over 1M floats: ", end="")
    x = np.linspace(0, 10, 1_000_000)
    t = time.perf_counter()
    np.cos(x)
    print(f"{(time.perf_counter() - t) * 1000:.1f} ms")
    run = event_run(n)
    size_mb = sum(f.stat().st_size for f in run.glob("events.out.tfevents.*")) / 1e6
    print(f"event file: {n:,} steps x {len(TAGS)} tags, {size_mb:.1f} MB (SummaryWriter)")
    rows: list[tuple[str, str, str, bool | None]] = []
    if "load" not in skip:
        panels = [asyncio.run(full_panels(run, n, (200, 60))) for _ in range(3)]
        best = min(panels, key=lambda r: r["total"])
        lrtui_s = best["total"]
        reads = [read_only(run, True) for _ in range(3)]
        reads_nocrc = [read_only(run, False) for _ in range(3)]
        ea = event_accumulator(run)
        tbp = tbparse_read(run)
        rows.append(("lrtui to full panels (200x60, best of 3)", f"{lrtui_s * 1000:.0f} ms", "", None))
        rows.append(
            (
                "lrtui read only (CRC checked / not)",
                f"{min(reads) * 1000:.0f} / {min(reads_nocrc) * 1000:.0f} ms",
                "",
                None,
            )
        )
        rows.append(
            (
                "EventAccumulator size_guidance scalars=0",
                f"{ea * 1000:.0f} ms -> lrtui panels {ea / lrtui_s:.1f}x faster",
                ">= 10x",
                ea / lrtui_s >= 10,
            )
        )
        rows.append(
            (
                "tbparse SummaryReader(dir).scalars",
                f"{tbp * 1000:.0f} ms -> lrtui panels {tbp / lrtui_s:.1f}x faster",
                ">= 5x",
                tbp / lrtui_s >= 5,
            )
        )
    if "schema" not in skip:
        for name, result in schema_and_crc(run):
            rows.append((name, result, "", None))
    if "tail" not in skip:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "fresh"
            fresh.mkdir()
            big = Path(tmp) / "big"
            shutil.copytree(run, big)
            for label, run_dir, start in (("fresh run", fresh, 0), (f"run with {n:,} steps", big, n)):
                for size in ((100, 30), (200, 60)):
                    r = asyncio.run(tail_latency(run_dir, seconds, size, start))
                    start += int(500 * seconds) + 1000
                    rows.append(
                        (
                            f"tail 2,000 scalars/s, {label} @ {size[0]}x{size[1]}",
                            f"frame p50 {r['frame_p50']:.1f} / p95 {r['frame_p95']:.1f} / max {r['frame_max']:.1f} ms; "
                            f"{r['redraws_per_s']:.1f} redraws/s; loop busy p95 {r['late_p95']:.1f} ms; "
                            f"shown {r['shown']:,}/{r['written']:,} scalars",
                            "p95 <= 50 ms",
                            r["frame_p95"] <= 50.0,
                        )
                    )
    if "scan" not in skip:
        count = args.runs or (200 if args.quick else 1000)
        with tempfile.TemporaryDirectory() as tmp:
            counts = make_tree(Path(tmp), count)
            runs = [asyncio.run(scan_screen(Path(tmp), count)) for _ in range(3)]
            best = min(runs, key=lambda r: r["listed"])
            mix = ", ".join(f"{v} {k}" for k, v in counts.items())
            rows.append(
                (
                    f"scan {count:,} runs ({mix}) to a listed runs screen",
                    f"{best['listed'] * 1000:.0f} ms (median of 3 {sorted(r['listed'] for r in runs)[1] * 1000:.0f} ms); "
                    f"every row's last step and best metric filled in {best['detailed'] * 1000:.0f} ms "
                    f"({best['filled']:,} rows)",
                    "<= 1000 ms",
                    best["listed"] <= 1.0,
                )
            )
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'case':<{width}}  result")
    print("-" * (width + 100))
    for name, result, target, ok in rows:
        verdict = "" if ok is None else ("  ok" if ok else "  OVER TARGET")
        print(f"{name:<{width}}  {result}{('  [' + target + ']') if target else ''}{verdict}")


if __name__ == "__main__":
    main()
