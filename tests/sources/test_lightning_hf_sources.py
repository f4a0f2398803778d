"""Lightning CSVLogger and HF Trainer readers, on files their real writers produced."""

from __future__ import annotations

import csv
import json
import math
import shutil
import threading
from pathlib import Path

import numpy as np

from lrtui.sources.hf import HfTrainerSource
from lrtui.sources.lightning import LightningCsvSource, read_hparams

# ------------------------------------------------------------------------------------------ Lightning


def csv_oracle(path: Path) -> dict[str, tuple[list[int], list[float]]]:
    """metrics.csv read with the csv module: every non-empty cell as (step, value)."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            for key, cell in row.items():
                if key == "step" or cell == "":
                    continue
                col = out.setdefault(key, ([], []))
                col[0].append(int(row["step"]))
                col[1].append(float(cell))
    return out


def series_of(source) -> dict[str, tuple[list[int], list[float]]]:
    return {k: (s.steps.tolist(), s.values.tolist()) for k, s in source.store.series.items()}


def test_lightning_trainer_csv_reads_every_logged_value(real_logs):
    version = real_logs / "pl" / "lightning_logs" / "version_0"
    source = LightningCsvSource(version).read_all()
    assert series_of(source) == csv_oracle(version / "metrics.csv")
    assert {"lr-SGD/pg1", "lr-SGD/pg2", "train_loss_step", "val_acc"} <= set(source.store.names())
    lr = source.store.get("lr-SGD/pg1")
    assert lr.values[0] == 0.05 and lr.values[-1] < 0.05  # StepLR halved it
    assert source.config == {"lr": 0.05}
    assert source.name == "lightning_logs/version_0" and source.skipped == 0


def test_csvlogger_header_rewrites_while_tailing(tmp_path):
    """The real CSVLogger rewrites metrics.csv with a wider header when a metric first appears."""
    from lightning.pytorch.loggers import CSVLogger

    logger = CSVLogger(str(tmp_path), name="exp")
    logger.log_hyperparams({"lr": 0.1, "nested": {"a": 1}})
    source = LightningCsvSource(Path(logger.log_dir))
    for step in range(30):
        metrics = {"train_loss": 1.0 / (step + 1), "lr-SGD": 0.1}
        if step >= 10:
            metrics["val_acc"] = step / 30  # new key: the file is rewritten with a new header
        if step >= 20:
            metrics["grad_norm"] = float(step)
        logger.log_metrics(metrics, step=step)
        if step % 3 == 0:
            logger.save()
            source.poll()
    logger.save()
    source.read_all()
    got = series_of(source)
    assert got == csv_oracle(Path(logger.log_dir) / "metrics.csv")
    assert got["train_loss"][0] == list(range(30)) and got["grad_norm"][0] == list(range(20, 30))
    assert source.resets >= 2  # two header rewrites seen
    assert source.config["lr"] == 0.1


def test_half_written_rows_wait_and_bad_rows_are_counted(real_logs, tmp_path):
    version = tmp_path / "v"
    shutil.copytree(real_logs / "pl" / "lightning_logs" / "version_0", version)
    path = version / "metrics.csv"
    source = LightningCsvSource(version).read_all()
    n = len(source.store.get("train_loss_step"))
    header = path.read_text().splitlines()[0].split(",")
    row = {k: "" for k in header}
    row.update(step="999", train_loss_step="0.5")
    line = ",".join(row[k] for k in header)
    with open(path, "a") as f:
        f.write(line[:5])  # half a row: no newline yet
    source.poll()
    assert len(source.store.get("train_loss_step")) == n
    with open(path, "a") as f:
        f.write(line[5:] + "\n")
        f.write("1,2,3\n")  # wrong number of fields
        f.write(line.replace("0.5", "oops") + "\n")  # not a number
        f.write(line.replace("0.5", "nan") + "\n")  # NaN is a value
        f.write("\n")
    source.poll()
    loss = source.store.get("train_loss_step")
    assert len(loss) == n + 2 and loss.values[-2] == 0.5 and math.isnan(loss.values[-1])
    assert source.skipped == 2 and len(source.problems) >= 2


def test_empty_and_header_only_csv(tmp_path):
    (tmp_path / "metrics.csv").write_text("")
    assert LightningCsvSource(tmp_path).read_all().store.points == 0
    (tmp_path / "metrics.csv").write_text("epoch,step,loss\n")
    assert LightningCsvSource(tmp_path).read_all().store.points == 0


def test_hparams_with_python_tags_fall_back_to_plain_keys(tmp_path):
    (tmp_path / "hparams.yaml").write_text(
        "lr: 0.01\nmodel: !!python/object:__main__.Net {}\nname: 'x\x1b[31m'\n  indented: 1\n"
    )
    config, problem = read_hparams(tmp_path / "hparams.yaml")
    assert problem is None and config["lr"] == 0.01 and config["name"] == "x[31m"


# ------------------------------------------------------------------------------------------ HF Trainer


def test_trainer_state_log_history(real_logs):
    out = real_logs / "hf_out"
    source = HfTrainerSource(out).read_all()
    state = json.loads((out / "trainer_state.json").read_text())
    history = state["log_history"]
    loss = source.store.get("loss")
    assert loss.steps.tolist() == [e["step"] for e in history if "loss" in e]
    assert loss.values.tolist() == [e["loss"] for e in history if "loss" in e]
    assert source.store.get("learning_rate").values.max() > 0
    assert len(source.store.get("eval_loss")) == 3 and "grad_norm" in source.store
    assert source.meta["max_steps"] == 24 and source.meta["finished"] is True
    assert source.state() == "finished" and source.config["model"] == "gpt2"


def test_checkpoint_copy_is_followed_while_training_runs(real_logs, tmp_path):
    out = tmp_path / "hf_out"
    shutil.copytree(real_logs / "hf_out", out)
    (out / "trainer_state.json").unlink()  # mid-training: only checkpoints exist yet
    shutil.rmtree(out / "checkpoint-24")
    source = HfTrainerSource(out).read_all()
    assert source.store.get("loss").last_step == 12 and not source.meta["finished"]
    shutil.copytree(real_logs / "hf_out" / "checkpoint-24", out / "checkpoint-24")
    source.read_all()
    assert source.store.get("loss").last_step == 24 and source.resets == 0  # extended, not rebuilt


def test_read_during_an_in_place_rewrite_keeps_what_was_shown(real_logs, tmp_path):
    out = tmp_path / "hf_out"
    shutil.copytree(real_logs / "hf_out", out)
    state = out / "trainer_state.json"
    full = state.read_bytes()
    source = HfTrainerSource(state).read_all()
    points = source.store.points
    state.write_bytes(full[: len(full) // 2])  # the Trainer's open("w") + write, caught half way
    source.poll()
    assert source.store.points == points and source.skipped == 0
    state.write_bytes(full)
    source.poll()
    assert source.store.points == points
    state.write_bytes(b"{not json")  # a copy that stays broken is reported once
    source.poll()
    source.poll()
    assert source.skipped == 1 and any("cannot be read" in p for p in source.problems)


def test_concurrent_rewrites_never_raise(real_logs, tmp_path):
    out = tmp_path / "hf_out"
    shutil.copytree(real_logs / "hf_out", out)
    state = out / "trainer_state.json"
    full = state.read_bytes()
    stop = threading.Event()

    def rewriter():
        while not stop.is_set():
            with open(state, "w") as f:  # exactly how TrainerState.save_to_json writes
                f.write(full.decode())

    t = threading.Thread(target=rewriter)
    t.start()
    try:
        source = HfTrainerSource(out)
        for _ in range(200):
            source.poll()
    finally:
        stop.set()
        t.join()
    source.read_all()
    assert len(source.store.get("loss")) == 12


def test_history_from_an_earlier_checkpoint_rebuilds(real_logs, tmp_path):
    out = tmp_path / "hf_out"
    shutil.copytree(real_logs / "hf_out", out)
    state = out / "trainer_state.json"
    source = HfTrainerSource(state).read_all()
    data = json.loads(state.read_text())
    data["log_history"] = [*data["log_history"][:3], {"step": 7, "loss": 9.0, "weird": "text", "flag": True}]
    data["log_history"].append(["not", "a", "dict"])
    data["log_history"].append({"loss": 1.0})  # no step
    state.write_text(json.dumps(data))
    source.poll()
    loss = source.store.get("loss")
    assert loss.steps.tolist() == [2, 4, 6, 7] and loss.values[-1] == 9.0
    assert source.resets == 1 and source.skipped == 2 and "weird" not in source.store


def test_nan_and_infinity_in_trainer_state(tmp_path):
    (tmp_path / "trainer_state.json").write_text(
        '{"log_history": [{"step": 1, "loss": NaN}, {"step": 2, "loss": Infinity}], "global_step": 2}'
    )
    loss = HfTrainerSource(tmp_path).read_all().store.get("loss")
    assert math.isnan(loss.values[0]) and np.isinf(loss.values[1])
