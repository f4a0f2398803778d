"""Regenerate tests/schedules/goldens/warmup_goldens.json from the REAL warmup libraries.

They are not lrtui dependencies; install them outside the venv and put them on the path:

    .venv/bin/python -m pip download --no-deps warmup-scheduler==0.3 pytorch-warmup==0.2.0 -d /tmp/wl
    .venv/bin/python -m pip install --no-deps --target /tmp/oracle_libs /tmp/wl/*
    PYTHONPATH=/tmp/oracle_libs .venv/bin/python tests/schedules/make_warmup_goldens.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytorch_warmup
import warmup_scheduler
from warmup_cases import CASES, real_curve

LIBS = {"warmup_scheduler": warmup_scheduler, "pytorch_warmup": pytorch_warmup}


def main() -> None:
    out = []
    for spec, base, optimizer, n, build in CASES:
        lr = real_curve(build, base, optimizer, n, LIBS)
        out.append({"spec": spec, "lr": base, "optimizer": optimizer, "n": n, "values": lr.tolist()})
    path = Path(__file__).parent / "goldens" / "warmup_goldens.json"
    path.write_text(
        json.dumps(
            {
                "libraries": {"warmup_scheduler": "0.3", "pytorch_warmup": pytorch_warmup.__version__},
                "cases": out,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
