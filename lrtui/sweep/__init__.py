"""Schedule shoot-outs: one recipe × several schedules × K seeds, as a group of detached runs.

PURE (no Textual, no torch; numpy only in `curves`): `plan` (what to train, validated with the trainer's own
config contract), `group` (the group directory format), `devices` + `queue` (the detached per-group queue
with a concurrency limit per device), `slurm` (a job array instead of the queue), `stats` (mean ± std,
Welch's t-test, no scipy), `results` (per-schedule table, ranking, CSV/Markdown), `listing` (groups in a
runs dir). Format: docs/run-format.md, "Sweep groups".
"""
