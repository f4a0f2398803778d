"""What people copy from their scripts and consoles parses to the schedule they meant."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.schedules import SpecError, parse

ONECYCLE = "OneCycleLR(max_lr=0.1, total_steps=1000)"
PASTES = [
    ("scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", ONECYCLE),
    ("scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)  # one cycle", ONECYCLE),
    ("lr_scheduler: LRScheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=1000);", ONECYCLE),
    (
        "torch.optim.lr_scheduler.OneCycleLR(\n    optimizer,\n    max_lr=0.1,\n    total_steps=1000,\n)",
        ONECYCLE,
    ),
    (">>> scheduler = OneCycleLR(optimizer,\n...     max_lr=0.1, total_steps=1000)\n>>> ", ONECYCLE),
    (
        "In [4]: scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)\nOut[4]: <OneCycleLR>",
        ONECYCLE,
    ),
    (
        "        scheduler = OneCycleLR(\n            optimizer, max_lr=0.1, total_steps=1000\n        )\n",
        ONECYCLE,
    ),
    ("lambda epoch: 0.95 ** epoch", 'LambdaLR(lr_lambda="0.95 ** k")'),
    (">>> lambda epoch: 0.95 ** epoch", 'LambdaLR(lr_lambda="0.95 ** k")'),
    ("LambdaLR(optimizer, lr_lambda=lambda e: 0.95 ** e)", 'LambdaLR(lr_lambda="0.95 ** k")'),
    ("scheduler = LambdaLR(optimizer, lambda epoch: 0.95 ** epoch)", 'LambdaLR(lr_lambda="0.95 ** k")'),
    (
        'get_scheduler("cosine", optimizer=opt, num_warmup_steps=100, num_training_steps=1000)',
        'get_scheduler(name="cosine", num_warmup_steps=100, num_training_steps=1000)',
    ),
    (
        "sched = transformers.get_cosine_schedule_with_warmup(optimizer, 100, 1000)",
        "get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)",
    ),
    # a whole block: constants, the optimizer, the children by name, a loop after it
    (
        "import torch\n"
        "epochs, steps_per_epoch = 30, 391\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"
        "warmup = LinearLR(optimizer, start_factor=0.1, total_iters=5 * steps_per_epoch)\n"
        "cosine = CosineAnnealingLR(optimizer, T_max=(epochs - 5) * steps_per_epoch)\n"
        "scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[5 * steps_per_epoch])\n"
        "for epoch in range(epochs):\n"
        "    train(model, optimizer)\n",
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=1955), "
        "CosineAnnealingLR(T_max=9775)], milestones=[1955])",
    ),
    (
        "def lr_lambda(epoch):\n    '''step decay'''\n    return 0.1 ** (epoch // 30)\n\n"
        "scheduler = LambdaLR(optimizer, lr_lambda=lr_lambda)",
        'LambdaLR(lr_lambda="0.1 ** (k // 30)")',
    ),
    (
        "decay = lambda k: 0.5 ** k\nMultiplicativeLR(optimizer, decay)",
        'MultiplicativeLR(lr_lambda="0.5 ** k")',
    ),
]


@pytest.mark.parametrize("text,spec", PASTES)
def test_pasted_code_parses_to_the_schedule(text, spec):
    assert str(parse(text)) == spec


@pytest.mark.parametrize(
    "text,says",
    [
        ("scheduler = StepLR(optimizer, step_size=len(loader) * 30)", "step_size='len(loader) * 30'"),
        ("x = 3\ny = 4", "no schedule call"),
        ("import torch", "no schedule call"),
        ("lambda e, f: e", "a lambda of one argument"),
        (">>> ", "empty"),
    ],
)
def test_pasted_code_without_a_usable_schedule_says_what_is_wrong(text, says):
    with pytest.raises(SpecError, match=None) as info:
        parse(text)
    assert says in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=40), st.integers(1, 5))
def test_chains_of_names_never_blow_up(names, width):
    """a = [b, b, b]; b = [a, a]; ...: substitution is bounded; the answer is a spec or a SpecError."""
    lines = [f"{n} = [{', '.join([names[i - 1]] * width)}]" if i else f"{n} = 1" for i, n in enumerate(names)]
    text = "\n".join([*lines, f"StepLR(optimizer, step_size={names[-1]})"])
    with contextlib.suppress(SpecError):
        parse(text)


# -- the SWA loop: the pasted script, run with the real torch, is the schedule the paste becomes --------------
SWA_SCRIPT = """
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
swa_model = AveragedModel(model)
scheduler = CosineAnnealingLR(optimizer, T_max=100)
swa_start = 75
swa_scheduler = SWALR(optimizer, swa_lr=0.05)

for epoch in range(100):
    for input, target in loader:
        optimizer.zero_grad()
        loss_fn(model(input), target).backward()
        optimizer.step()
    if epoch > swa_start:
        swa_model.update_parameters(model)
        swa_scheduler.step()
    else:
        scheduler.step()
"""
SWA_VARIANTS = [
    (SWA_SCRIPT, "milestones=[77]"),  # torch's docs, as printed
    (SWA_SCRIPT.replace("epoch > swa_start", "epoch >= swa_start"), "milestones=[76]"),
    (SWA_SCRIPT.replace("epoch > swa_start", "swa_start < epoch"), "milestones=[77]"),
    (  # the branches the other way round, a threshold computed from the epochs, epochs counted from 1
        SWA_SCRIPT.replace("swa_start = 75", "epochs = 100\nswa_start = int(0.75 * epochs)")
        .replace("range(100)", "range(1, epochs + 1)")
        .replace(
            "    if epoch > swa_start:\n        swa_model.update_parameters(model)\n        swa_scheduler.step()\n"
            "    else:\n        scheduler.step()",
            "    if epoch <= swa_start:\n        scheduler.step()\n    else:\n        swa_scheduler.step()",
        ),
        "milestones=[76]",
    ),
]


@pytest.mark.parametrize(("script", "milestones"), SWA_VARIANTS)
def test_a_pasted_swa_loop_is_the_switch_the_script_runs(script, milestones):
    import torch
    from torch.optim.lr_scheduler import CosineAnnealingLR
    from torch.optim.swa_utils import SWALR, AveragedModel

    from lrtui.schedules import Plan, evaluate

    spec = parse(script)
    assert str(spec) == f"SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05)], {milestones})"
    lrs: list[float] = []
    space: dict = {}

    class Loader:  # each epoch's batches start with the lr the epoch trains at
        def __iter__(self):
            lrs.append(space["optimizer"].param_groups[0]["lr"])
            return iter([(torch.ones(1, 2), torch.zeros(1, 1))])

    space.update(
        torch=torch,
        Net=lambda: torch.nn.Linear(2, 1),
        AveragedModel=AveragedModel,
        CosineAnnealingLR=CosineAnnealingLR,
        SWALR=SWALR,
        loader=Loader(),
        loss_fn=torch.nn.functional.mse_loss,
    )
    exec(script, space)  # the script as pasted, on the real torch
    curve = evaluate(Plan(spec, base_lrs=(0.1,), total_steps=len(lrs)))
    assert curve.lr[0].tolist() == lrs  # bit for bit, every epoch


def test_a_loop_that_is_not_a_switch_leaves_the_last_schedule():
    # the if steps the same scheduler on both branches, or the threshold is not a number: not a SwitchLR
    same = SWA_SCRIPT.replace("        swa_scheduler.step()\n", "        scheduler.step()\n")
    assert str(parse(same)) == "SWALR(swa_lr=0.05)"
    unknown = SWA_SCRIPT.replace("swa_start = 75", "swa_start = args.swa_start")
    assert str(parse(unknown)) == "SWALR(swa_lr=0.05)"
