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
