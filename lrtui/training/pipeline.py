"""The device-resident data pipeline (the fast path that replaces the seed's DataLoader).

The whole dataset is copied to the device once as uint8. Each training batch is one gather: a random
permutation slice picks the images, and the per-image random crop (zero padding 4, like
`RandomCrop(32, padding=4)`) and horizontal flip (`RandomHorizontalFlip`) are folded into the gather's row
and column indices, so augmentation is batched on the device with no per-image Python. Normalisation
(`ToTensor` + `Normalize`) is one fused multiply-add. No host sync anywhere.

Randomness is a pure function of (seed, epoch) for the shuffle and (seed, global step) for augmentation:
each uses a device generator seeded from those numbers, so a resumed run continues the same epoch
permutation at the right batch with the same crops, with nothing to replay.
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
    ):
        self.device = torch.device(device)
        self.train_x = train_x.to(self.device)
        self.train_y = train_y.to(self.device)
        self.test_x = test_x.to(self.device)
        self.test_y = test_y.to(self.device)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.crop, self.flip, self.pad = crop, flip, pad
        self.channels_last = channels_last
        n, c = self.train_x.shape[:2]
        self.num_train = n
        self.steps_per_epoch = n // batch_size  # drop_last=True, like the seed's DataLoader
        mean_t = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, c, 1, 1)
        std_t = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, c, 1, 1)
        # (x / 255 - mean) / std == x * scale + shift
        self.scale = 1.0 / (255.0 * std_t)
        self.shift = -mean_t / std_t
        self._gen = torch.Generator(device=self.device)
        self._perm_epoch: int | None = None
        self._perm: torch.Tensor | None = None

    # ------------------------------------------------------------------------------------------ train
    def permutation(self, epoch: int) -> torch.Tensor:
        """The epoch's shuffle (device randperm), cached for the current epoch."""
        if self._perm_epoch != epoch:
            self._gen.manual_seed(_mix(self.seed, _SHUFFLE, epoch))
            self._perm = torch.randperm(self.num_train, generator=self._gen, device=self.device)
            self._perm_epoch = epoch
        return self._perm

    def train_batch(self, epoch: int, index: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch `index` of `epoch` (global optimizer step `step` seeds its augmentation)."""
        idx = self.permutation(epoch)[index * self.batch_size : (index + 1) * self.batch_size]
        x = self.augment(self.train_x[idx], step) if (self.crop or self.flip) else self.train_x[idx]
        return self.normalize(x), self.train_y[idx]

    def augment(self, x: torch.Tensor, step: int) -> torch.Tensor:
        """Per-image random crop (zero pad) + horizontal flip of a uint8 batch, as one gather."""
        self._gen.manual_seed(_mix(self.seed, _AUGMENT, step))
        return augment_batch(x, self._gen, pad=self.pad if self.crop else 0, flip=self.flip)

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
    x: torch.Tensor, generator: torch.Generator, *, pad: int = 4, flip: bool = True
) -> torch.Tensor:
    """Random crop with `pad` zero padding and random horizontal flip, per image, batched.

    Same distribution as torchvision's RandomCrop(H, padding=pad) + RandomHorizontalFlip(): offsets are
    uniform in [0, 2*pad] per image, flips have probability 1/2. Returns uint8 (B, C, H, W).
    """
    b, _, h, w = x.shape
    dev = x.device
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))  # constant 0, like RandomCrop's default fill
        oy = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator, device=dev)
        ox = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator, device=dev)
    else:
        oy = ox = torch.zeros((b, 1), dtype=torch.int64, device=dev)
    rows = oy + torch.arange(h, device=dev)  # (B, H)
    cols = torch.arange(w, device=dev).expand(b, w)
    if flip:
        flipped = torch.rand((b, 1), generator=generator, device=dev) < 0.5
        cols = torch.where(flipped, (w - 1) - cols, cols)
    cols = ox + cols  # (B, W)
    bidx = torch.arange(b, device=dev).view(b, 1, 1)
    # Indexing the NHWC view yields (B, H, W, C); permuting back gives a channels_last-strided NCHW tensor.
    out = x.permute(0, 2, 3, 1)[bidx, rows.view(b, h, 1), cols.view(b, 1, w)]
    return out.permute(0, 3, 1, 2)
