"""The classic scheduler mistakes, made by real training loops (real torch schedulers, a real GradScaler, real
state-dict round trips), logged with RunLogger into real run directories — and diagnosed by `doctor_run`."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from lrtui import RunLogger  # noqa: E402
from lrtui.doctor import doctor_run  # noqa: E402

SPE = 10  # optimizer steps per epoch
EPOCHS = 10
TOTAL = SPE * EPOCHS


def _model_and_opt(lr=0.1, groups=None):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    if groups:
        params = [
            {"params": model[0].parameters(), "lr": groups[0]},
            {"params": model[2].parameters(), "lr": groups[1]},
        ]
        return model, torch.optim.SGD(params, lr=groups[0], momentum=0.9)
    return model, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def _batch(step):
    g = torch.Generator().manual_seed(step)
    x = torch.randn(16, 4, generator=g)
    return x, (x[:, :1] > 0).long().squeeze(1)


def _config(spec, lr=0.1, stepping="step", total=TOTAL):
    return {
        "model": "tiny",
        "optimizer": {"name": "sgd", "lr": lr, "momentum": 0.9},
        "epochs": EPOCHS,
        "schedule": {"spec": spec, "stepping": stepping, "steps_per_epoch": SPE, "total_steps": total},
    }


def _update(model, opt, step, scaler=None, inf_at=()):
    x, t = _batch(step)
    loss = torch.nn.functional.cross_entropy(model(x), t)
    if step in inf_at:
        loss = loss * math.inf  # an overflow as fp16 training produces it: inf/NaN gradients
    opt.zero_grad()
    if scaler is None:
        loss.backward()
        opt.step()
        return True
    scaler.scale(loss).backward()
    before = scaler.get_scale()
    scaler.step(opt)
    scaler.update()
    return scaler.get_scale() >= before  # False: GradScaler skipped optimizer.step()


def _run(tmp_path, config, loop) -> object:
    with RunLogger(config, runs_dir=tmp_path) as run:
        loop(run)
    return doctor_run(run.run_dir)


def _kinds(report):
    return [f.kind for f in report.findings]


# ------------------------------------------------------------------------------------------- the mistakes
def test_correct_loop_matches_its_plan(tmp_path):
    def loop(run):
        model, opt = _model_and_opt()
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL)
        for step in range(TOTAL):
            run.log_optimizer(step, opt, epoch=step // SPE)
            _update(model, opt, step)
            sched.step()

    report = _run(tmp_path, _config(f"CosineAnnealingLR(T_max={TOTAL})"), loop)
    assert report.ok and report.findings == [], report.text()
    assert report.verdict().startswith("LR matches the plan")
    assert report.inferred.spec == f"CosineAnnealingLR(T_max={TOTAL}, eta_min=0.0)"


def test_stepped_per_epoch_instead_of_per_step(tmp_path):
    def loop(run):
        model, opt = _model_and_opt()
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL)
        for epoch in range(EPOCHS):
            for i in range(SPE):
                step = epoch * SPE + i
                run.log_optimizer(step, opt, epoch=epoch)
                _update(model, opt, step)
            sched.step()  # the mistake: once per epoch

    report = _run(tmp_path, _config(f"CosineAnnealingLR(T_max={TOTAL})"), loop)
    assert _kinds(report) == ["per_epoch"], report.text()
    f = report.findings[0]
    assert f.first_step == 1 and "after every optimizer.step()" in f.fix
    assert "logged 0.1 vs planned 0.09998" in f.evidence  # digits enough to differ


@pytest.mark.parametrize("epoch_records", [True, False], ids=["run.epoch", "lr-only"])
def test_readme_loop_stepped_per_epoch_declares_no_epoch_length(tmp_path, epoch_records):
    """The README's loop (RunLogger(scheduler=...) names no epoch length) with sched.step() once per epoch:
    the epoch length is read off the run's epoch records, else off the LR's own plateaus."""
    model, opt = _model_and_opt(lr=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=TOTAL)
    with RunLogger({"model": "mynet"}, runs_dir=tmp_path, scheduler=sched) as run:
        for epoch in range(EPOCHS):
            for i in range(SPE):
                step = epoch * SPE + i
                _update(model, opt, step)
                run.log_optimizer(step, opt)
            sched.step()  # the mistake
            if epoch_records:
                run.epoch(epoch, test_acc=0.5)
    report = doctor_run(run.run_dir)
    assert _kinds(report) == ["per_epoch"], report.text()
    assert f"the LR holds for {SPE} steps at a time" in report.findings[0].evidence
    assert report.plan.spec == f"OneCycleLR(max_lr=0.1, total_steps={TOTAL})"


def test_stepped_per_step_instead_of_per_epoch(tmp_path):
    def loop(run):
        model, opt = _model_and_opt()
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        for step in range(TOTAL):
            run.log_optimizer(step, opt, epoch=step // SPE)
            _update(model, opt, step)
            sched.step()  # the plan says per epoch

    report = _run(tmp_path, _config("StepLR(step_size=3, gamma=0.5)", stepping="epoch"), loop)
    assert _kinds(report) == ["per_step"], report.text()


def test_scheduler_stepped_before_the_optimizer(tmp_path):
    def loop(run):
        model, opt = _model_and_opt()
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=TOTAL + 1)
        for step in range(TOTAL):
            sched.step()  # the mistake: before optimizer.step() (torch warns)
            run.log_optimizer(step, opt)
            _update(model, opt, step)

    with pytest.warns(UserWarning, match="before `optimizer.step"):
        report = _run(tmp_path, _config("OneCycleLR(max_lr=0.1, total_steps=101)", total=TOTAL + 1), loop)
    assert _kinds(report) == ["shifted"], report.text()
    assert "optimizer.step() first" in report.findings[0].fix


def test_amp_skipped_steps_shift_the_schedule(tmp_path):
    skipped = (20, 45, 46)

    def loop(run):
        model, opt = _model_and_opt()
        scaler = torch.amp.GradScaler("cpu")
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL)
        for step in range(TOTAL):
            run.log_optimizer(step, opt)
            stepped = _update(model, opt, step, scaler, inf_at=skipped)
            if stepped:  # the usual recipe: no scheduler step when GradScaler skipped the update
                sched.step()

    report = _run(tmp_path, _config(f"CosineAnnealingLR(T_max={TOTAL})"), loop)
    assert _kinds(report) == ["amp_skips"], report.text()
    f = report.findings[0]
    assert f.steps == (21, 46, 47)  # the LR repeats at the update after each skipped one
    assert "lags the plan by 3 step(s)" in f.title


def test_schedule_sized_in_epochs_but_stepped_per_step_ends_early(tmp_path):
    def loop(run):
        model, opt = _model_and_opt()
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)  # epochs, stepped per step
        for step in range(TOTAL):
            run.log_optimizer(step, opt)
            _update(model, opt, step)
            sched.step()

    report = _run(tmp_path, _config(f"CosineAnnealingLR(T_max={TOTAL})"), loop)
    assert _kinds(report) == ["wrong_total"], report.text()
    f = report.findings[0]
    assert "ends early: the logged curve has T_max=10, the plan T_max=100" in f.title
    assert "counted in epochs" in f.title
    assert "CosineAnnealingLR(T_max=10" in f.evidence


def test_different_base_lr_gives_the_ratio(tmp_path):
    def loop(run):
        model, opt = _model_and_opt(lr=0.05)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
        for step in range(TOTAL):
            run.log_optimizer(step, opt)
            _update(model, opt, step)
            sched.step()

    report = _run(tmp_path, _config("StepLR(step_size=30, gamma=0.1)", lr=0.1), loop)
    assert _kinds(report) == ["scaled"], report.text()
    assert "× 0.5" in report.findings[0].title and "lr=0.1" in report.findings[0].fix


def test_per_group_mismatch(tmp_path):
    def loop(run):
        model, opt = _model_and_opt(groups=(0.1, 0.1))  # the plan has 0.01 for the head
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.97)
        for step in range(TOTAL):
            run.log_optimizer(step, opt)
            _update(model, opt, step)
            sched.step()

    report = _run(tmp_path, _config("ExponentialLR(gamma=0.97)", lr=[0.1, 0.01]), loop)
    assert _kinds(report) == ["group_mismatch", "scaled"], report.text()
    assert report.findings[1].group == 1 and "× 10" in report.findings[1].title


# ------------------------------------------------------------------------------------------- resumes
RESUME_AT = 40


def _resumable(tmp_path, spec, make_sched, resume):
    """Train to RESUME_AT, checkpoint (model, optimizer, scheduler state dicts), then resume in a second
    RunLogger.open of the same run with `resume(model, opt_state, sched_state) -> (opt, sched)`."""
    config = _config(spec)
    with RunLogger(config, runs_dir=tmp_path) as run:
        model, opt = _model_and_opt()
        sched = make_sched(opt)
        for step in range(RESUME_AT):
            run.log_optimizer(step, opt)
            _update(model, opt, step)
            sched.step()
        ckpt = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}
        run.close("stopped")
    with RunLogger.open(run.run_dir) as run:
        model, _ = _model_and_opt()
        model.load_state_dict(ckpt["model"])
        opt, sched = resume(model, ckpt, make_sched)
        for step in range(RESUME_AT, TOTAL):
            run.log_optimizer(step, opt)
            _update(model, opt, step)
            sched.step()
    return doctor_run(run.run_dir)


def _fresh_opt(model):
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def warmup(opt):
    return torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=80)


def test_resume_in_the_right_order_continues_the_plan(tmp_path):
    def resume(model, ckpt, make):
        opt = _fresh_opt(model)
        sched = make(opt)
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        return opt, sched

    report = _resumable(tmp_path, "LinearLR(start_factor=0.1, total_iters=80)", warmup, resume)
    assert report.ok and [r.order for r in report.resumes] == ["correct"], report.text()
    assert report.resumes[0].step == RESUME_AT


def test_resume_without_scheduler_state_restarts_the_warmup(tmp_path):
    def resume(model, ckpt, make):
        opt = _fresh_opt(model)
        opt.load_state_dict(ckpt["opt"])
        for g in opt.param_groups:  # what a fresh scheduler on a restored optimizer does: initial_lr wins
            g["lr"] = g["initial_lr"]
        return opt, make(opt)  # the scheduler's state is never loaded

    report = _resumable(tmp_path, "LinearLR(start_factor=0.1, total_iters=80)", warmup, resume)
    assert "resume_restart" in _kinds(report), report.text()
    assert [r.order for r in report.resumes] == ["scheduler_not_loaded"]
    assert "warmup restarted" in report.findings[0].title


def test_resume_with_optimizer_loaded_before_the_scheduler(tmp_path):
    def resume(model, ckpt, make):
        opt = _fresh_opt(model)
        opt.load_state_dict(ckpt["opt"])  # the mistake: before the scheduler exists
        sched = make(opt)  # its constructor's first step multiplies the restored LR by start_factor
        sched.load_state_dict(ckpt["sched"])
        return opt, sched

    report = _resumable(tmp_path, "LinearLR(start_factor=0.1, total_iters=80)", warmup, resume)
    assert [r.order for r in report.resumes] == ["optimizer_first"], report.text()
    assert not report.ok


def test_resume_constructed_with_last_epoch_runs_one_step_ahead(tmp_path):
    def cosine(opt, **kw):
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL, **kw)

    def resume(model, ckpt, make):
        opt = _fresh_opt(model)
        opt.load_state_dict(ckpt["opt"])
        return opt, cosine(opt, last_epoch=RESUME_AT)  # instead of load_state_dict

    report = _resumable(tmp_path, f"CosineAnnealingLR(T_max={TOTAL})", cosine, resume)
    assert [r.order for r in report.resumes] == ["one_ahead"], report.text()
    assert "resume_one_ahead" in _kinds(report)


def test_resume_without_optimizer_state_jumps_back(tmp_path):
    def resume(model, ckpt, make):
        opt = _fresh_opt(model)  # optimizer state never loaded: lr back at the base
        sched = make(opt)
        sched.load_state_dict(ckpt["sched"])
        return opt, sched

    report = _resumable(tmp_path, "LinearLR(start_factor=0.1, total_iters=80)", warmup, resume)
    assert [r.order for r in report.resumes] == ["optimizer_not_loaded"], report.text()
