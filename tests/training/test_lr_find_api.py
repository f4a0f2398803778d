"""`lrtui.find_lr` on a user's own model: everything put back bit for bit (also after an exception or Ctrl-C),
divergence stopping the sweep, and the run it writes (kind lr_find) read back by the real readers."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from lrtui import find_lr
from lrtui.runs import read_run
from lrtui.runs.lr_sweep import Sweep
from lrtui.schedules.lr_suggest import analyze


class Net(nn.Module):
    """Parameters, BatchNorm running stats (buffers, one counter), a non-persistent buffer, dropout, a
    submodule left in eval mode, tied weights."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(12, 16)
        self.bn = nn.BatchNorm1d(16)
        self.drop = nn.Dropout(0.2)
        self.frozen_bn = nn.BatchNorm1d(16)
        self.out = nn.Linear(16, 16, bias=False)
        self.head = nn.Linear(16, 16, bias=False)
        self.head.weight = self.out.weight  # tied
        self.register_buffer("scratch", torch.zeros(3), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.scratch.add_(1.0)  # a buffer the forward pass changes in place
        h = self.drop(F.relu(self.bn(self.inp(x))))
        h = self.frozen_bn(h)
        return self.head(h)[:, :4] + self.out(h)[:, :4]


def _data(n: int = 256, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    y = (x[:, :4].argmax(1) + (x[:, 4] > 1).long()) % 4
    return torch.utils.data.TensorDataset(x, y)


def _loader(seed: int = 0) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(
        _data(), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )


def _trained(opt_name: str = "adam"):
    """A model and optimizer with real state: a few steps already taken, gradients left behind."""
    torch.manual_seed(0)
    model = Net()
    model.frozen_bn.eval()
    params = [
        {"params": [model.inp.weight, model.inp.bias, model.bn.weight, model.bn.bias]},
        {"params": [model.out.weight, model.frozen_bn.weight, model.frozen_bn.bias], "lr": 3e-4},
    ]
    opt = (
        torch.optim.Adam(params, lr=1e-3)
        if opt_name == "adam"
        else torch.optim.SGD(params, lr=0.01, momentum=0.9)
    )
    for x, y in list(_loader(1))[:3]:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    loss = F.cross_entropy(model(x), y)
    loss.backward()  # leave gradients in place: the test must put them back too
    return model, opt


def _bits(t: torch.Tensor) -> bytes:
    return t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def _state_bits(state):
    """Every tensor of a (nested) state dict as raw bytes; everything else as is."""
    if isinstance(state, torch.Tensor):
        return ("tensor", str(state.dtype), tuple(state.shape), _bits(state))
    if isinstance(state, dict):
        return {k: _state_bits(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_state_bits(v) for v in state)
    return state


def _everything(model, opt, scaler=None, loader=None):
    return {
        "params": [
            (n, _bits(p), None if p.grad is None else _bits(p.grad)) for n, p in model.named_parameters()
        ],
        "buffers": [(n, _bits(b)) for n, b in model.named_buffers()],
        "identity": [id(p) for p in model.parameters()],
        "modes": [(n, m.training) for n, m in model.named_modules()],
        "optimizer": _state_bits(opt.state_dict()),
        "opt_attrs": {k: v for k, v in vars(opt).items() if isinstance(v, (bool, int, float, str))},
        "scaler": _state_bits(scaler.state_dict()) if scaler is not None else None,
        "rng": (_bits(torch.get_rng_state()), random.getstate(), str(np.random.get_state()[1][:8])),
        "loader": _bits(loader.generator.get_state()) if loader is not None else None,
    }


def test_model_optimizer_rngs_and_loader_restored_bit_for_bit(tmp_path):
    model, opt = _trained("adam")
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=5)  # attached: adds initial_lr, _opt_called
    before_sched = copy.deepcopy(scheduler.state_dict())
    loader = _loader(7)
    random.seed(3)
    np.random.seed(3)
    before = _everything(model, opt, loader=loader)
    result = find_lr(
        model,
        opt,
        loader,
        F.cross_entropy,
        start_lr=1e-5,
        end_lr=1.0,
        steps=30,
        runs_dir=tmp_path,
        verbose=False,
    )
    assert len(result.losses) > 10  # it really trained
    after = _everything(model, opt, loader=loader)
    assert after == before
    assert scheduler.state_dict() == before_sched
    assert [g["lr"] for g in opt.param_groups] == [1e-3, 3e-4]
    assert model.training and not model.frozen_bn.training
    # the scheduler still notices a schedule stepped before the optimizer, as it would without the sweep
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        scheduler.step()


def test_grad_scaler_and_autocast_restored(tmp_path):
    model, opt = _trained("sgd")
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    x, y = next(iter(_loader(2)))  # the scaler is used once before: its scale tensor exists
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = F.cross_entropy(model(x).float(), y)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    before = _everything(model, opt, scaler)
    find_lr(
        model,
        opt,
        _loader(),
        F.cross_entropy,
        steps=20,
        scaler=scaler,
        autocast=torch.bfloat16,
        log=False,
        verbose=False,
    )
    assert _everything(model, opt, scaler) == before
    fresh = torch.amp.GradScaler("cpu")  # never used: stays lazy (its scale tensor is made on first use)
    find_lr(model, opt, _loader(), F.cross_entropy, steps=12, scaler=fresh, log=False, verbose=False)
    assert fresh._scale is None and _everything(model, opt) == {**before, "scaler": None}


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_restored_after_an_exception_or_ctrl_c_mid_sweep(tmp_path, error):
    model, opt = _trained("adam")
    before = _everything(model, opt)
    calls = []

    def step_fn(model, batch):
        calls.append(1)
        if len(calls) == 7:
            raise error
        return F.cross_entropy(model(batch[0]), batch[1])

    with pytest.raises(type(error)):
        find_lr(model, opt, _loader(), step_fn=step_fn, steps=30, runs_dir=tmp_path, verbose=False)
    assert _everything(model, opt) == before
    (run_dir,) = tmp_path.iterdir()
    run = read_run(run_dir)
    assert run.state == ("stopped" if isinstance(error, KeyboardInterrupt) else "failed")
    assert len(run.data) == 6  # the steps done before the failure were logged
    if not isinstance(error, KeyboardInterrupt):
        assert "boom" in run.status["error"]


def test_divergence_stops_the_sweep_and_the_run_records_it(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    result = find_lr(
        model,
        opt,
        _loader(),
        F.cross_entropy,
        start_lr=1e-4,
        end_lr=1e4,
        steps=200,
        runs_dir=tmp_path,
        verbose=False,
    )
    assert len(result.losses) < 200 and result.reason.startswith("diverged at step")
    sweep = Sweep(start_lr=1e-4, end_lr=1e4, steps=200)
    # the stop rule, recomputed from the recorded losses: not before the step it stopped at
    from lrtui.runs.lr_sweep import DivergenceWatch

    watch = DivergenceWatch(sweep.diverge, sweep.smooth)
    stops = [watch.update(v) for v in result.losses]
    assert stops.index(True) == len(result.losses) - 1
    run = read_run(result.run_dir)
    assert run.config["kind"] == "lr_find" and run.config["lr_find"] == sweep.to_dict()
    assert list(run.data.steps) == list(range(len(result.losses)))
    assert list(run.data.lr[0]) == [sweep.lr_at(i) for i in range(len(result.losses))]  # bit for bit
    assert list(run.data.loss) == result.losses
    event = next(e for e in run.data.events if e["event"] == "lr_find")
    expected = analyze(result.lrs, result.losses, steps=200)
    assert event["suggestions"] == {s.name: s.lr for s in (*expected.suggestions, *expected.extra)}
    assert run.state == "finished" and run.status["lr_suggestion"] == result.suggested_lr


def test_a_non_finite_loss_stops_at_once(tmp_path):
    model, opt = _trained("sgd")
    calls = []

    def step_fn(model, batch):
        calls.append(1)
        loss = F.cross_entropy(model(batch[0]), batch[1])
        return loss * float("nan") if len(calls) == 9 else loss

    result = find_lr(model, opt, _loader(), step_fn=step_fn, steps=50, log=False, verbose=False)
    assert len(result.losses) == 9 and "not finite" in result.reason
    assert result.analysis.cut == 8


def test_group_ratios_are_kept_and_a_one_shot_iterator_ends_the_sweep():
    model, opt = _trained("sgd")
    seen = []

    def step_fn(model, batch):
        seen.append([g["lr"] for g in opt.param_groups])
        return F.cross_entropy(model(batch[0]), batch[1])

    batches = iter(list(_loader()))  # 8 batches, not restartable
    result = find_lr(model, opt, batches, step_fn=step_fn, steps=40, log=False, verbose=False)
    assert result.reason == "data ran out after 8 steps" and len(result.losses) == 8
    for lr0, lr1 in seen:
        assert lr1 == pytest.approx(lr0 * 0.03, rel=1e-12)  # 3e-4 / 1e-2


def test_bad_arguments_name_the_problem():
    model, opt = _trained("sgd")
    with pytest.raises(ValueError, match="loss_fn=None is not allowed"):
        find_lr(model, opt, _loader(), log=False)
    with pytest.raises(ValueError, match="data=int is not allowed"):
        find_lr(model, opt, 3, F.cross_entropy, log=False)
    with pytest.raises(ValueError, match="end_lr = 1e-08 is invalid"):
        find_lr(model, opt, _loader(), F.cross_entropy, end_lr=1e-8, log=False)
    dict_batches = [{"x": torch.randn(4, 12), "y": torch.zeros(4, dtype=torch.long)}]
    before = _everything(model, opt)
    with pytest.raises(ValueError, match="without step_fn"):
        find_lr(model, opt, dict_batches, F.cross_entropy, log=False, verbose=False)
    assert _everything(model, opt) == before
