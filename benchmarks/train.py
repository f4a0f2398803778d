"""Training throughput: the seed articles' DataLoader pipeline vs lrtui's device pipeline, in one run.

    .venv/bin/python benchmarks/train.py --quick          # CPU-sized, < 2 min (the default without CUDA)
    .venv/bin/python benchmarks/train.py                  # CUDA: 50k synthetic images (CIFAR-10 sized), VGG,
                                                          # then the seed recipe's 30 epochs timed end to end
    options: --model vgg|lenet|resnet18 --batch-size 128 --train-size N --epochs N --workers N --compile

Rows (same model, batch size, optimizer and images in every row):
  seed DataLoader      the seed 001 pipeline verbatim: torchvision `datasets.CIFAR10(root, transform=...)` over
                       the synthetic images written in CIFAR-10's on-disk format, transforms RandomCrop(32,
                       padding=4) + RandomHorizontalFlip + ToTensor + Normalize, DataLoader(shuffle=True,
                       drop_last=True, num_workers=W), the seed's loop (loss.item() and correct.item() every
                       step), fp32.
  lrtui, no logging    lrtui's Trainer: dataset on the device as uint8, batched per-image crop/flip on the
                       device, bf16 autocast + channels_last on CUDA; no per-step records.
  lrtui, null logger   + per-step records buffered on the device and copied once per flush (no file I/O).
  lrtui, RunLogger     + the real RunLogger writing metrics.jsonl: the row the app runs.
Throughput is training images/s of the last epoch (the first epoch pays warm-up: kernel selection, compile).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from lrtui.runs import RunLogger
from lrtui.training.config import TrainConfig
from lrtui.training.datasets import (
    CIFAR10_CLASSES,
    cifar10_dataset_class,
    synthetic_dataset,
    write_cifar10_copy,
)
from lrtui.training.loop import Trainer, describe_device, select_device
from lrtui.training.models import build_model


class NullLogger:
    """The RunLogger interface, keeping epoch records in memory and writing nothing."""

    def __init__(self, run_dir: str):
        self.run_dir = run_dir
        self.epochs: list[dict] = []

    def epoch(self, epoch, **metrics):
        self.epochs.append({"epoch": epoch, **metrics})

    def event(self, *a, **k): ...
    def set_state(self, *a, **k): ...
    def steps(self, columns): ...
    def flush(self): ...
    def close(self, *a, **k): ...


class EpochTap:
    """Wraps a RunLogger to read back its epoch records."""

    def __init__(self, logger: RunLogger):
        self._logger, self.epochs = logger, []
        self.run_dir = logger.run_dir

    def epoch(self, epoch, **metrics):
        self.epochs.append({"epoch": epoch, **metrics})
        self._logger.epoch(epoch, **metrics)

    def __getattr__(self, name):
        return getattr(self._logger, name)


def seed_pipeline(args, data, device, root: Path) -> float:
    """Images/s of the last epoch through the seed article's DataLoader pipeline (data written to `root`)."""
    from torchvision import transforms

    train_transform = transforms.Compose(
        [
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(data.mean, data.std),
        ]
    )
    cifar = cifar10_dataset_class(verify=False)  # torchvision's CIFAR10; md5 check off for the generated copy
    train_data = cifar(root=str(root), train=True, transform=train_transform)
    loader = torch.utils.data.DataLoader(
        train_data,
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
        persistent_workers=args.workers > 0,
    )
    torch.manual_seed(0)
    net = build_model(args.model, in_channels=3, image_size=32).to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    criterion = torch.nn.CrossEntropyLoss()
    net.train()
    rate = 0.0
    for _epoch in range(args.epochs):
        train_loss, correct, total = 0.0, 0, 0
        t0 = time.perf_counter()
        for inputs, targets in loader:  # the seed's loop, line for line
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
        rate = total / (time.perf_counter() - t0)
    return rate


def lrtui_pipeline(args, device, mode: str, runs_dir: Path, epochs: int | None = None) -> tuple[float, float]:
    """(images/s of the last epoch, wall seconds) through lrtui's Trainer; mode: off | null | runlogger."""
    config = TrainConfig.from_dict(
        {
            "model": args.model,
            "dataset": "synthetic",
            "synthetic_train_size": args.train_size,
            "synthetic_test_size": args.test_size,
            "batch_size": args.batch_size,
            "epochs": epochs or args.epochs,
            "device": str(device),
            "compile": args.compile,
            "checkpoint_every_epochs": 1000,
            "num_threads": args.threads,
        }
    ).resolve()
    if mode == "runlogger":
        logger = EpochTap(RunLogger(config.to_dict(), runs_dir=runs_dir, source="lrtui-trainer"))
    else:
        runs_dir.mkdir(parents=True, exist_ok=True)
        logger = NullLogger(str(runs_dir))
    out = io.StringIO()
    trainer = Trainer(config, logger, log_steps=mode != "off", out=out)
    t0 = time.perf_counter()
    state = trainer.run()
    wall = time.perf_counter() - t0
    if state != "finished":
        raise RuntimeError(f"lrtui trainer ended {state}:\n{out.getvalue()}")
    return logger.epochs[-1]["images_per_s"], wall


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CPU-sized run (default when CUDA is not available)")
    p.add_argument("--device", default="auto")
    p.add_argument("--model", default=None, help="vgg (default on CUDA) | lenet (default --quick) | resnet18")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-size", type=int, default=None, help="synthetic training images")
    p.add_argument("--epochs", type=int, default=2, help="epochs per row; the last one is measured")
    p.add_argument("--workers", type=int, default=None, help="DataLoader workers (seed: 0; CUDA default 4)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model in the lrtui rows")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (--quick: 1, so a shared box measures "
        "the pipelines rather than OpenMP threads fighting over cores)",
    )
    p.add_argument("--repeats", type=int, default=2, help="rounds of all rows, interleaved; best rate kept")
    p.add_argument(
        "--recipe-epochs",
        type=int,
        default=None,
        help="also train the seed recipe for N epochs through lrtui with the RunLogger and time it "
        "(default: 30 on CUDA, 0 with --quick)",
    )
    args = p.parse_args(argv)

    device = select_device(args.device)
    quick = args.quick or device.type != "cuda"
    args.model = args.model or ("lenet" if quick else "vgg")
    if args.recipe_epochs is None:
        args.recipe_epochs = 0 if quick else 30
    args.train_size = args.train_size or (4096 if quick else 50_000)
    args.test_size = 512 if quick else 10_000
    if args.workers is None:
        args.workers = 0 if quick else min(4, os.cpu_count() or 1)
    if args.threads is None and quick:
        args.threads = 1
    if args.threads:
        torch.set_num_threads(args.threads)
    info = describe_device(device)
    print(f"device: {info['device']}  torch {torch.__version__}  threads {torch.get_num_threads()}")
    print(
        f"model {args.model}, batch {args.batch_size}, {args.train_size} synthetic 3x32x32 images, "
        f"{args.epochs} epochs per row (last measured), DataLoader workers {args.workers}"
        + (", torch.compile" if args.compile else "")
        + (", bf16 autocast + channels_last in lrtui rows" if device.type == "cuda" else "")
    )
    data = synthetic_dataset(args.train_size, args.test_size, seed=0)
    labels = {"seed": "seed DataLoader", "off": "lrtui, no logging", "null": "lrtui, null logger",
              "runlogger": "lrtui, RunLogger"}  # fmt: skip
    best = dict.fromkeys(labels, 0.0)
    with tempfile.TemporaryDirectory(prefix="lrtui-bench-") as tmp:
        tmp = Path(tmp)
        write_cifar10_copy(
            tmp / "cifar", data.train_x, data.train_y, data.test_x, data.test_y, CIFAR10_CLASSES
        )
        # Rows interleaved and repeated, best kept: a busy machine slows whichever row it hits, not one kind.
        for _round in range(args.repeats):
            best["seed"] = max(best["seed"], seed_pipeline(args, data, device, tmp / "cifar"))
            for mode in ("off", "null", "runlogger"):
                best[mode] = max(best[mode], lrtui_pipeline(args, device, mode, tmp / "runs")[0])
        seed_rate, off, null, logged = best["seed"], best["off"], best["null"], best["runlogger"]
        print()
        print(f"{'pipeline':<22}{'images/s':>12}{'vs seed':>10}")
        for mode, label in labels.items():
            print(f"{label:<22}{best[mode]:>12.0f}{best[mode] / seed_rate:>9.2f}x")
        print()
        print(f"speed-up of lrtui's device pipeline over the seed DataLoader: {off / seed_rate:.2f}x")
        print(f"per-step logging cost (buffer + flush, no I/O): {100 * (off - null) / off:+.1f}%")
        print(
            f"RunLogger cost (records written to metrics.jsonl): {100 * (off - logged) / off:+.1f}%  (budget 3%)"
        )
        if args.recipe_epochs:
            rate, wall = lrtui_pipeline(args, device, "runlogger", tmp / "runs", epochs=args.recipe_epochs)
            per_epoch_seed = args.train_size / seed_rate
            print(
                f"\nseed recipe ({args.model}, batch {args.batch_size}, {args.recipe_epochs} epochs) through lrtui: "
                f"{wall:.1f} s wall incl. eval ({rate:.0f} img/s last epoch); the seed DataLoader pipeline at "
                f"its measured rate: ~{per_epoch_seed * args.recipe_epochs:.1f} s of training alone"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
