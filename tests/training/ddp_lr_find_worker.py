"""One rank of the distributed LR range test (run by tests/training/test_lr_find_ddp.py under real torchrun).

Each rank trains a DDP model on its own shard of batches (so the ranks' losses differ), records its local
losses, runs `lrtui.find_lr` and writes what it saw to OUT/rank<r>.json.
"""

from __future__ import annotations

import json
import os
import sys

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from lrtui import find_lr


def main(out: str, runs_dir: str) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)  # same initial weights on every rank (DDP also broadcasts them)
    model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3)))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(100 + rank)  # a different shard per rank
    x = torch.randn(512, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    shard = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True, generator=g
    )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    local: list[float] = []

    def step_fn(model, batch):
        loss = F.cross_entropy(model(batch[0]), batch[1])
        local.append(float(loss))
        return loss

    result = find_lr(
        model,
        opt,
        shard,
        step_fn=step_fn,
        start_lr=1e-4,
        end_lr=1e4,
        steps=120,
        runs_dir=runs_dir,
        verbose=False,
    )
    restored = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(
            {
                "rank": rank,
                "losses": result.losses,
                "local": local,
                "reason": result.reason,
                "suggested": result.suggested_lr,
                "run_dir": str(result.run_dir) if result.run_dir else None,
                "restored": restored,
            },
            f,
        )
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
