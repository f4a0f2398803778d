"""The device pipeline: shapes, normalisation, crop/flip semantics and determinism given a seed."""

import torch

from lrtui.training.pipeline import DevicePipeline, augment_batch


def _data(n=64, c=3, s=32):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, c, s, s), generator=g, dtype=torch.uint8)
    y = torch.arange(n) % 10
    return x, y


def _pipeline(seed=0, **kw):
    x, y = _data()
    return DevicePipeline(x, y, x[:20], y[:20], mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25),
                          batch_size=16, seed=seed, eval_batch_size=8, **kw)  # fmt: skip


def test_batch_shapes_and_drop_last():
    p = _pipeline()
    assert p.steps_per_epoch == 4
    x, y = p.train_batch(0, 3, 3)
    assert x.shape == (16, 3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    sizes = [len(y) for _, y in p.test_batches()]
    assert sizes == [8, 8, 4]


def test_epoch_is_a_permutation_and_deterministic():
    p, q = _pipeline(seed=3), _pipeline(seed=3)
    perm = p.permutation(2)
    assert sorted(perm.tolist()) == list(range(64))
    assert torch.equal(perm, q.permutation(2))
    assert not torch.equal(perm, p.permutation(3))
    assert not torch.equal(_pipeline(seed=4).permutation(2), q.permutation(2))
    xa, ya = p.train_batch(1, 2, 6)
    xb, yb = q.train_batch(1, 2, 6)  # same (seed, epoch, batch, step): same images, crops and flips
    assert torch.equal(xa, xb) and torch.equal(ya, yb)
    xc, _ = q.train_batch(1, 2, 7)
    assert not torch.equal(xa, xc)


def test_normalisation_without_augmentation():
    x, y = _data()
    p = DevicePipeline(
        x, y, x, y, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3), batch_size=8, crop=False, flip=False
    )
    xb, yb = p.train_batch(0, 0, 0)
    idx = p.permutation(0)[:8]
    mean = torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)
    std = torch.tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1)
    expected = (x[idx].float() / 255 - mean) / std  # ToTensor + Normalize
    torch.testing.assert_close(xb, expected, rtol=1e-5, atol=1e-5)
    assert torch.equal(yb, y[idx])


def test_crop_and_flip_are_true_crops_of_the_padded_image():
    x, _ = _data(n=32)
    out = augment_batch(x, torch.Generator().manual_seed(1), pad=4, flip=True)
    assert out.shape == x.shape and out.dtype == torch.uint8
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    n_flipped = 0
    offsets = set()
    for i in range(len(x)):
        matches = [
            (oy, ox, f)
            for oy in range(9)
            for ox in range(9)
            for f in (False, True)
            if torch.equal(
                out[i], (lambda w: w.flip(-1) if f else w)(padded[i, :, oy : oy + 32, ox : ox + 32])
            )
        ]
        assert matches, f"image {i} is not a crop (+flip) of its padded original"
        n_flipped += matches[0][2]
        offsets.add(matches[0][:2])
    assert 0 < n_flipped < len(x) and len(offsets) > 8  # per-image randomness, not one draw per batch


def test_no_pad_no_flip_is_identity():
    x, _ = _data(n=8)
    assert torch.equal(augment_batch(x, torch.Generator().manual_seed(0), pad=0, flip=False), x)


def test_channels_last_option():
    p = _pipeline(channels_last=True)
    xb, _ = p.train_batch(0, 0, 0)
    assert xb.is_contiguous(memory_format=torch.channels_last)
    assert _pipeline().train_batch(0, 0, 0)[0].is_contiguous()


def _ranks(world, seed=3):
    x, y = _data(n=100)
    return [
        DevicePipeline(x, y, x[:21], y[:21], mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25),
                       batch_size=24 // world, seed=seed, eval_batch_size=8, rank=r, world_size=world)
        for r in range(world)
    ]  # fmt: skip


def test_ranks_split_every_global_batch_exactly_as_one_process_takes_it():
    """World sizes 1, 2, 3, 4 at global batch 24: the same images, crops and flips in every global batch,
    each rank holding (on its device) and augmenting only its shard of the epoch and of the test set."""
    one = _ranks(1)[0]
    for world in (2, 3, 4):
        ranks = _ranks(world)
        assert {p.steps_per_epoch for p in ranks} == {one.steps_per_epoch} == {4}
        for epoch in (0, 1):
            shards = [p.shard(epoch)[0] for p in ranks]
            assert sum(len(s) for s in shards) == 4 * 24 and all(len(s) == 4 * 24 // world for s in shards)
            for b in range(4):
                step = epoch * 4 + b
                xa, ya = one.train_batch(epoch, b, step)
                parts = [p.train_batch(epoch, b, step) for p in ranks]
                assert torch.equal(torch.cat([x for x, _ in parts]), xa)
                assert torch.equal(torch.cat([y for _, y in parts]), ya)
        test = torch.cat([p.test_x for p in ranks])
        assert torch.equal(test, one.test_x)  # the test set split into contiguous parts, nothing twice
    assert ranks[0].train_x.device.type == "cpu"  # the host keeps the full set; the device gets shards
