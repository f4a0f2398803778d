"""Optional integrations that write lrtui run directories from the frameworks people train with.

- `lrtui.integrations.lightning.LrtuiCallback`: a Lightning `Callback` (`pip install lrtui[lightning]`).
- `lrtui.integrations.hf.LrtuiTrainerCallback`: an HF `TrainerCallback` (`pip install lrtui[hf]`).

Both record the plan from the framework's live scheduler (`lrtui.schedules.describe`) with the stepping the
framework really uses, log the LR of every param group at every optimizer step, and write on the
global-zero rank only. Importing this package imports neither framework.
"""
