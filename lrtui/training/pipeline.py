"""The device-resident data pipeline (the fast path that replaces the seed's DataLoader).

The whole dataset is copied to the device once as uint8. Each training batch is one gather: a random
permutation slice picks the images, and the per-image random crop (zero padding 4, like
`RandomCrop(32, padding=4)`) and horizontal flip (`RandomHorizontalFlip`) are folded into the gather's row
and column indices, so augmentation is batched on the device with no per-image Python. Normalisation
(`ToTensor` + `Normalize`) is one fused multiply-add. No host sync anywhere.

Randomness is a pure function of (seed, epoch) for the shuffle and (seed, global step) for augmentation:
each uses a device generator seeded from those numbers, so a resumed run continues the same epoch
permutation at the right batch with the same crops, with nothing to replay.

Distributed (rank r of W, per-rank batch B, global batch G = B x W): global batch b of an epoch is the same
G images as a single process with batch G would take (the same permutation), and rank r trains the slice
[r*B, (r+1)*B) of it. Each rank holds on its device only its shard of the epoch (its slices of every global
batch, gathered from the host copy once per epoch: 1/W of the training set) and of the test set, and
augments only its images; the crops and flips are drawn for the whole global batch and sliced, so image i
of global batch b gets the same augmentation whatever the world size. Hence DDP with W ranks trains on
exactly the batches of one process with batch G, and a resume on another world size (same G) continues
the same data order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_SHUFFLE, _AUGMENT = 0x5EED_0001, 0x5EED_0002


def _mix(*parts: int) -> int:
    """A 63-bit seed from integers (splitmix64-style), so nearby (seed, epoch) pairs get unrelated streams."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h ^= (int(p) + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2)) & 0xFFFFFFFFFFFFFFFF
        h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h & 0x7FFFFFFFFFFFFFFF


class DevicePipeline:
    """Batches from uint8 (N, C, H, W) tensors kept on `device`.

    train_batch(epoch, index, step) -> (x float normalised (B, C, H, W), y int64 (B,))
    test_batches() yields (x, y) in order in `eval_batch_size` chunks (no augmentation).
    """

    def __init__(
        self,
        train_x: torch.Tensor,
        train_y: torch.Tensor,
        test_x: torch.Tensor,
        test_y: torch.Tensor,
        *,
        mean,
        std,
        batch_size: int,
        device: torch.device | str = "cpu",
        seed: int = 0,
        crop: bool = True,
        flip: bool = True,
        pad: int = 4,
        eval_batch_size: int = 1024,
        channels_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        self.device = torch.device(device)
        self.rank, self.world_size = rank, world_size
        if world_size == 1:
            self.train_x = train_x.to(self.device)
            self.train_y = train_y.to(self.device)
        else:  # the host keeps the training set; the device gets this rank's shard of each epoch
            self.train_x, self.train_y = train_x.cpu(), train_y.cpu()
        test_part = slice(len(test_x) * rank // world_size, len(test_x) * (rank + 1) // world_size)
        self.test_x = test_x[test_part].to(self.device)
        self.test_y = test_y[test_part].to(self.device)
        self.batch_size = batch_size
        self.global_batch = batch_size * world_size
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.crop, self.flip, self.pad = crop, flip, pad
        self.channels_last = channels_last
        n, c = self.train_x.shape[:2]
        self.num_train = n
        self.steps_per_epoch = n // self.global_batch  # drop_last=True, like the seed's DataLoader
        mean_t = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, c, 1, 1)
        std_t = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, c, 1, 1)
        # (x / 255 - mean) / std == x * scale + shift
        self.scale = 1.0 / (255.0 * std_t)
        self.shift = -mean_t / std_t
        self._gen = torch.Generator(device=self.device)
        self._perm_epoch: int | None = None
        self._perm: torch.Tensor | None = None
        self._shard_epoch: int | None = None
        self._shard: tuple[torch.Tensor, torch.Tensor] | None = None

    # ------------------------------------------------------------------------------------------ train
    def permutation(self, epoch: int) -> torch.Tensor:
        """The epoch's shuffle (device randperm), cached for the current epoch."""
        if self._perm_epoch != epoch:
            self._gen.manual_seed(_mix(self.seed, _SHUFFLE, epoch))
            self._perm = torch.randperm(self.num_train, generator=self._gen, device=self.device)
            self._perm_epoch = epoch
        return self._perm

    def shard(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's images of `epoch`, in training order (its slice of each global batch), on the device."""
        if self._shard_epoch != epoch:
            b, w, spe = self.batch_size, self.world_size, self.steps_per_epoch
            order = self.permutation(epoch)[: spe * self.global_batch].view(spe, w, b)[:, self.rank, :]
            idx = order.reshape(-1).cpu()  # one device->host copy per epoch
            self._shard = None  # free the previous epoch's shard before the next one arrives
            self._shard = (self.train_x[idx].to(self.device), self.train_y[idx].to(self.device))
            self._shard_epoch = epoch
        return self._shard

    def train_batch(self, epoch: int, index: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch `index` of `epoch` (global optimizer step `step` seeds its augmentation); with several
        ranks, this rank's slice of global batch `index`."""
        if self.world_size == 1:
            idx = self.permutation(epoch)[index * self.batch_size : (index + 1) * self.batch_size]
            x, y = self.train_x[idx], self.train_y[idx]
        else:
            xs, ys = self.shard(epoch)
            x = xs[index * self.batch_size : (index + 1) * self.batch_size]
            y = ys[index * self.batch_size : (index + 1) * self.batch_size]
        x = self.augment(x, step) if (self.crop or self.flip) else x
        return self.normalize(x), y

    def augment(self, x: torch.Tensor, step: int) -> torch.Tensor:
        """Per-image random crop (zero pad) + horizontal flip of a uint8 batch, as one gather."""
        self._gen.manual_seed(_mix(self.seed, _AUGMENT, step))
        return augment_batch(
            x,
            self._gen,
            pad=self.pad if self.crop else 0,
            flip=self.flip,
            offset=self.rank * self.batch_size,
            total=self.global_batch,
        )

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.addcmul(self.shift, x.float(), self.scale)
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return out.contiguous(memory_format=fmt)

    # ------------------------------------------------------------------------------------------- test
    def test_batches(self):
        for start in range(0, len(self.test_x), self.eval_batch_size):
            x = self.test_x[start : start + self.eval_batch_size]
            yield self.normalize(x), self.test_y[start : start + self.eval_batch_size]


def augment_batch(
    x: torch.Tensor,
    generator: torch.Generator,
    *,
    pad: int = 4,
    flip: bool = True,
    offset: int = 0,
    total: int | None = None,
) -> torch.Tensor:
    """Random crop with `pad` zero padding and random horizontal flip, per image, batched.

    Same distribution as torchvision's RandomCrop(H, padding=pad) + RandomHorizontalFlip(): offsets are
    uniform in [0, 2*pad] per image, flips have probability 1/2. Returns uint8 (B, C, H, W).
    `x` may be images offset..offset+B of a batch of `total`: the draws are made for all `total` and
    sliced, so an image's augmentation does not depend on how the batch is split between ranks.
    """
    b, _, h, w = x.shape
    dev = x.device
    total = b if total is None else total
    part = slice(offset, offset + b)
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))  # constant 0, like RandomCrop's default fill
        oy = torch.randint(0, 2 * pad + 1, (total, 1), generator=generator, device=dev)[part]
        ox = torch.randint(0, 2 * pad + 1, (total, 1), generator=generator, device=dev)[part]
    else:
        oy = ox = torch.zeros((b, 1), dtype=torch.int64, device=dev)
    rows = oy + torch.arange(h, device=dev)  # (B, H)
    cols = torch.arange(w, device=dev).expand(b, w)
    if flip:
        flipped = torch.rand((total, 1), generator=generator, device=dev)[part] < 0.5
        cols = torch.where(flipped, (w - 1) - cols, cols)
    cols = ox + cols  # (B, W)
    bidx = torch.arange(b, device=dev).view(b, 1, 1)
    # Indexing the NHWC view yields (B, H, W, C); permuting back gives a channels_last-strided NCHW tensor.
    out = x.permute(0, 2, 3, 1)[bidx, rows.view(b, h, 1), cols.view(b, 1, w)]
    return out.permute(0, 3, 1, 2)
