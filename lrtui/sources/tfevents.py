"""Scalars out of many TensorBoard Event records at once.

The general decoder (`protowire.parse_event`) costs a few µs per record in Python: 800,000 records of a
200k-step × 4-tag file would take seconds. Almost every record in a real event file has one of a few
shapes, though: an Event with wall_time, step and a Summary holding exactly one Value, whose scalar is a
`simple_value` (torch's SummaryWriter, HF Trainer, Lightning) or a rank-0 float/double tensor
(tensorboard's own writer, TF2, `new_style=True`). `decode()` walks those fields for all records in
lockstep with numpy — one array operation per field position, not per record — and hands every record
it does not fully understand (several values per summary, shaped or integer tensors, unknown fields,
anything malformed) to the general decoder, one by one. Both paths give identical results (tested).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from lrtui.sources.protowire import NON_SCALAR_PLUGINS, WireError, parse_event, parse_hparams, parse_metadata

_ITERATIONS = 8  # fields walked per message on the fast path; messages with more go the general way
PAD = 16  # zero bytes the caller keeps after the data, so fixed-width gathers never run off the end


def _windows(arr: np.ndarray, width: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(arr, width)


def _f64(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return _windows(arr, 8)[pos].view("<f8").ravel()


def _f32(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return _windows(arr, 4)[pos].view("<f4").ravel().astype(np.float64)


def _varint(arr: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Varints at `pos`: (value as uint64, position after it, well-formed).

    Byte by byte over the records still continuing: most varints here are one byte, steps two or three.
    """
    first = arr[pos]
    value = (first & 0x7F).astype(np.uint64)
    after = pos + 1
    ok = np.ones(pos.size, dtype=bool)
    more = np.flatnonzero(first >= 0x80)
    shift = 7
    while more.size:
        if shift > 63:
            ok[more] = False
            break
        b = arr[after[more]]
        value[more] |= (b & 0x7F).astype(np.uint64) << np.uint64(shift)
        after[more] += 1
        more = more[b >= 0x80]
        shift += 7
    return value, after, ok


@dataclass
class Decoded:
    """The scalars of a batch of records, in record order (several per record when a summary has several)."""

    tag_ids: np.ndarray  # int64 into `tags` (the caller's table, extended here)
    steps: np.ndarray  # int64
    wall: np.ndarray  # float64
    values: np.ndarray  # float64
    malformed: int = 0  # records that are not well-formed Events
    non_scalar: int = 0  # values that hold no scalar (histograms, images, text, shaped tensors)
    slow: int = 0  # records decoded one by one
    problems: list[str] = field(default_factory=list)
    hparams: dict = field(default_factory=dict)  # from hparams plugin records


class TagTable:
    """Tag bytes <-> small ints for one run, plus the plugin each tag's first metadata names."""

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.tags: list[bytes] = []
        self.plugin: dict[int, str | None] = {}

    def id(self, tag: bytes) -> int:
        found = self.ids.get(tag)
        if found is None:
            found = self.ids[tag] = len(self.tags)
            self.tags.append(tag)
        return found

    def note_plugin(self, tag_id: int, plugin: str | None) -> None:
        if tag_id not in self.plugin and plugin is not None:
            self.plugin[tag_id] = plugin


def _rows_equal(rows: np.ndarray, tag: bytes) -> np.ndarray:
    """Which rows of a (n, L) uint8 matrix equal `tag` (column by column: no (n, L) temporaries)."""
    hit = np.ones(rows.shape[0], dtype=bool)
    for j, b in enumerate(tag):
        hit &= rows[:, j] == b
    return hit


def _tag_ids(arr: np.ndarray, tag_s: np.ndarray, tag_len: np.ndarray, table: TagTable) -> np.ndarray:
    """Small ints for the tag bytes of each record.

    Per distinct tag length: rows are compared with the tags already known (a run has a few dozen tags and
    every record repeats one), and only rows that match none are looked at one new tag at a time; past
    a few new tags per batch, np.unique takes over (a hostile file with thousands of tags stays linear).
    """
    out = np.empty(tag_s.size, dtype=np.int64)
    counts = np.bincount(tag_len) if tag_len.size else np.zeros(0, np.int64)
    for length in np.flatnonzero(counts).tolist():
        idx = np.flatnonzero(tag_len == length) if counts[length] != tag_len.size else np.arange(tag_len.size)
        if length == 0:
            out[idx] = table.id(b"")
            continue
        rows = _windows(arr, length)[tag_s[idx]]
        assigned = np.full(idx.size, -1, dtype=np.int64)
        for tag, tag_id in list(table.ids.items()):
            if len(tag) == length:
                assigned[_rows_equal(rows, tag) & (assigned < 0)] = tag_id
        todo = np.flatnonzero(assigned < 0)
        new_tags = 0
        while todo.size:
            if new_tags >= 8:
                part = np.ascontiguousarray(rows[todo])
                keys, inverse = np.unique(part.view(f"V{length}").ravel(), return_inverse=True)
                ids = np.asarray([table.id(bytes(k)) for k in keys.tolist()], dtype=np.int64)
                assigned[todo] = ids[inverse.ravel()]
                break
            tag = rows[todo[0]].tobytes()
            hit = _rows_equal(rows[todo], tag)
            assigned[todo[hit]] = table.id(tag)
            todo = todo[~hit]
            new_tags += 1
        out[idx] = assigned
    return out


_EVENT_SKIP_LEN = np.asarray([0x1A, 0x22, 0x32, 0x3A, 0x42, 0x4A, 0x52], dtype=np.uint8)  # other Event fields
_VALUE_OTHER = np.asarray([0x1A, 0x22, 0x2A, 0x32], dtype=np.uint8)  # old histo, image, histo, audio


def _template(arr: np.ndarray, starts: np.ndarray, end: np.ndarray) -> tuple:
    """The one shape most records of a real event file have, checked for all records at once:

        09 <wall f64> [10 <step varint>] 2a L1 0a L2 0a T <tag: T bytes> 15 <value f32>

    (an Event of wall_time, step (absent when 0) and a Summary of one Value: tag + simple_value; every
    length one byte). Returns (mask of the records that have exactly it, wall, step, tag start, tag length,
    value) for those records.
    """
    ok = (arr[starts] == 0x09) & (end - starts >= 16)
    idx = np.flatnonzero(ok)
    s = starts[idx]
    p = s + 9
    has_step = arr[p] == 0x10
    step = np.zeros(idx.size, dtype=np.uint64)
    q = p.copy()
    if has_step.any():
        value, after, good = _varint(arr, p[has_step] + 1)
        step[has_step] = value
        q[has_step] = after
        bad = np.flatnonzero(has_step)[~good]
        q[bad] = end[idx[bad]]  # fails the checks below
    head = _windows(arr, 6)[q].astype(np.int16)  # 2a L1 0a L2 0a T: one gather for the six bytes
    tlen = head[:, 5]
    good = (
        (head[:, 0] == 0x2A)
        & (head[:, 2] == 0x0A)
        & (head[:, 4] == 0x0A)
        & (head[:, 1] == tlen + 9)
        & (head[:, 3] == tlen + 7)
        & (head[:, 1] < 0x80)
        & (q + 11 + tlen == end[idx])
    )
    tlen = tlen.astype(np.int64)
    good &= arr[np.minimum(q + 6 + tlen, arr.size - 1)] == 0x15
    keep = np.flatnonzero(good)
    mask = np.zeros(starts.size, dtype=bool)
    mask[idx[keep]] = True
    q, tlen = q[keep], tlen[keep]
    return (
        mask,
        _f64(arr, s[keep] + 1),
        step[keep].view(np.int64),
        q + 6,
        tlen,
        _f32(arr, q + 7 + tlen),
    )


def decode(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray, table: TagTable) -> Decoded:
    """Scalars of the Event records at arr[starts[i] : starts[i] + lengths[i]] (arr padded by PAD).

    First the common shape for all records at once (`_template`), then the vectorised field walk for the
    rest, then the general decoder one by one for what the walk cannot take; results in record order.
    """
    empty_i, empty_f = np.empty(0, np.int64), np.empty(0, np.float64)
    if starts.size == 0:
        return Decoded(empty_i, empty_i, empty_f, empty_f)
    starts = np.asarray(starts, dtype=np.int64)
    end = starts + np.asarray(lengths, dtype=np.int64)
    mask, t_wall, t_step, t_tag_s, t_tag_len, t_vals = _template(arr, starts, end)
    t_rec = np.flatnonzero(mask)
    t_tags = _tag_ids(arr, t_tag_s, t_tag_len, table)
    rest = np.flatnonzero(~mask)
    if rest.size:
        g = _decode_general(arr, starts[rest], end[rest] - starts[rest], table)
        g_key = (rest[g.rec] << 20) + g.sub
        key = np.concatenate([t_rec << 20, g_key])
        order = np.argsort(key, kind="stable")
        tag_ids = np.concatenate([t_tags, g.tag_ids])[order]
        steps = np.concatenate([t_step, g.steps])[order]
        walls = np.concatenate([t_wall, g.wall])[order]
        values = np.concatenate([t_vals, g.values])[order]
        stats = g
    else:
        tag_ids, steps, walls, values = t_tags, t_step, t_wall, t_vals
        stats = Decoded(empty_i, empty_i, empty_f, empty_f)
    non_scalar = stats.non_scalar
    # values of tags a non-scalar plugin owns (a one-element text or histogram tensor) are not metrics
    owned = [t for t, plugin in table.plugin.items() if plugin in NON_SCALAR_PLUGINS]
    if owned and tag_ids.size:
        drop = np.isin(tag_ids, owned)
        if drop.any():
            non_scalar += int(drop.sum())
            keep = ~drop
            tag_ids, steps, walls, values = tag_ids[keep], steps[keep], walls[keep], values[keep]
    return Decoded(
        tag_ids, steps, walls, values, stats.malformed, non_scalar, stats.slow, stats.problems, stats.hparams
    )


@dataclass
class _General(Decoded):
    rec: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # record of each value
    sub: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # its index in the record


def _decode_general(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray, table: TagTable) -> _General:
    """The vectorised field walk (and the general decoder for what it cannot take), values with records."""
    n = starts.size
    if n == 0:
        e_i, e_f = np.empty(0, np.int64), np.empty(0, np.float64)
        return _General(e_i, e_i, e_f, e_f)
    starts = np.asarray(starts, dtype=np.int64)
    end = starts + np.asarray(lengths, dtype=np.int64)
    slow = np.zeros(n, dtype=bool)

    # -- Event: wall_time (1), step (2), summary (5); other fields skipped -----------------------------------
    pos = starts.copy()
    wall = np.zeros(n)
    step = np.zeros(n, dtype=np.uint64)
    sum_s = np.full(n, -1, dtype=np.int64)
    sum_e = np.full(n, -1, dtype=np.int64)
    for _ in range(_ITERATIONS):
        act = np.flatnonzero((pos < end) & ~slow)
        if not act.size:
            break
        p = pos[act]
        key = arr[p]
        known = np.zeros(act.size, dtype=bool)
        m = key == 0x09
        if m.any():
            wall[act[m]] = _f64(arr, p[m] + 1)
            pos[act[m]] = p[m] + 9
            known |= m
        m = key == 0x10
        if m.any():
            value, after, ok = _varint(arr, p[m] + 1)
            step[act[m]] = value
            pos[act[m]] = after
            slow[act[m][~ok]] = True
            known |= m
        m = (key == 0x2A) | np.isin(key, _EVENT_SKIP_LEN)
        if m.any():
            length, after, ok = _varint(arr, p[m] + 1)
            ok &= length <= np.uint64(1 << 40)
            stop = np.where(ok, after + length.astype(np.int64), end[act[m]])
            ok &= stop <= end[act[m]]
            is_summary = (key[m] == 0x2A) & ok
            sum_s[act[m][is_summary]] = after[is_summary]
            sum_e[act[m][is_summary]] = stop[is_summary]
            pos[act[m]] = stop
            slow[act[m][~ok]] = True
            known |= m
        slow[act[~known]] = True
    slow |= pos != end  # ran past the record, or more fields than we walk

    # -- Summary: exactly one Value (field 1) ----------------------------------------------------------------
    has = np.flatnonzero(~slow & (sum_s >= 0) & (sum_e > sum_s))
    val_s = np.full(n, -1, dtype=np.int64)
    if has.size:
        p = sum_s[has]
        one = arr[p] == 0x0A
        slow[has[~one]] = True
        has, p = has[one], p[one]
        length, after, ok = _varint(arr, p + 1)
        single = ok & (after + length.astype(np.int64) == sum_e[has])
        slow[has[~single]] = True  # several values (or malformed): the general path
        val_s[has[single]] = after[single]

    # -- Value: tag (1), simple_value (2), tensor (8), metadata (9), node_name (7) ---------------------------
    rec = np.flatnonzero(val_s >= 0)
    vend = sum_e[rec]
    pos = val_s[rec]
    m_n = rec.size
    tag_s = np.full(m_n, -1, dtype=np.int64)
    tag_len = np.zeros(m_n, dtype=np.int64)
    simple = np.full(m_n, np.nan)
    has_simple = np.zeros(m_n, dtype=bool)
    ten_s = np.full(m_n, -1, dtype=np.int64)
    ten_e = np.full(m_n, -1, dtype=np.int64)
    meta_s = np.full(m_n, -1, dtype=np.int64)
    meta_e = np.full(m_n, -1, dtype=np.int64)
    other = np.zeros(m_n, dtype=bool)
    vslow = np.zeros(m_n, dtype=bool)
    for _ in range(_ITERATIONS):
        act = np.flatnonzero((pos < vend) & ~vslow)
        if not act.size:
            break
        p = pos[act]
        key = arr[p]
        known = np.zeros(act.size, dtype=bool)
        m = key == 0x15
        if m.any():
            simple[act[m]] = _f32(arr, p[m] + 1)
            has_simple[act[m]] = True
            pos[act[m]] = p[m] + 5
            known |= m
        m = (key == 0x0A) | (key == 0x42) | (key == 0x4A) | (key == 0x3A) | np.isin(key, _VALUE_OTHER)
        if m.any():
            a = act[m]
            length, after, ok = _varint(arr, p[m] + 1)
            ok &= length <= np.uint64(1 << 40)
            length = np.where(ok, length.astype(np.int64), 0)
            k = key[m]
            for code, s_arr, e_arr in ((0x0A, tag_s, None), (0x42, ten_s, ten_e), (0x4A, meta_s, meta_e)):
                sel = k == code
                s_arr[a[sel]] = after[sel]
                if e_arr is None:
                    tag_len[a[sel]] = length[sel]
                else:
                    e_arr[a[sel]] = after[sel] + length[sel]
            other[a[np.isin(k, _VALUE_OTHER)]] = True
            pos[a] = after + length
            vslow[a[~ok]] = True
            known |= m
        vslow[act[~known]] = True
    vslow |= pos != vend

    # -- TensorProto of tensor values: dtype (1), empty shape (2), content (4), float_val (5), double_val (6)
    tens = np.flatnonzero(~vslow & ~has_simple & ~other & (ten_s >= 0))
    t_value = np.full(m_n, np.nan)
    t_ok = np.zeros(m_n, dtype=bool)
    if tens.size:
        pos = ten_s[tens].copy()
        tend = ten_e[tens]
        k_n = tens.size
        dtype = np.zeros(k_n, dtype=np.int64)
        fval = np.full(k_n, np.nan)
        nval = np.zeros(k_n, dtype=np.int64)  # float/double values seen
        vkind = np.zeros(k_n, dtype=np.int64)  # 1 float_val, 2 double_val, 4 content f32, 8 content f64
        tslow = np.zeros(k_n, dtype=bool)
        for _ in range(_ITERATIONS):
            act = np.flatnonzero((pos < tend) & ~tslow)
            if not act.size:
                break
            p = pos[act]
            key = arr[p]
            known = np.zeros(act.size, dtype=bool)
            for code in (0x08, 0x18):  # dtype, version_number
                m = key == code
                if m.any():
                    value, after, ok = _varint(arr, p[m] + 1)
                    if code == 0x08:
                        dtype[act[m]] = value.astype(np.int64)
                    pos[act[m]] = after
                    tslow[act[m][~ok]] = True
                    known |= m
            m = key == 0x2D
            if m.any():
                fval[act[m]] = _f32(arr, p[m] + 1)
                nval[act[m]] += 1
                vkind[act[m]] = 1
                pos[act[m]] = p[m] + 5
                known |= m
            m = key == 0x31
            if m.any():
                fval[act[m]] = _f64(arr, p[m] + 1)
                nval[act[m]] += 1
                vkind[act[m]] = 2
                pos[act[m]] = p[m] + 9
                known |= m
            m = (key == 0x12) | (key == 0x22) | (key == 0x2A) | (key == 0x32)
            if m.any():
                a = act[m]
                length, after, ok = _varint(arr, p[m] + 1)
                ok &= length <= np.uint64(1 << 40)
                length = np.where(ok, length.astype(np.int64), 0)
                k = key[m]
                bad = ~ok | ((k == 0x12) & (length != 0))  # a shape with dims: the general path decides
                for code, size, kind, reader in ((0x2A, 4, 1, _f32), (0x32, 8, 2, _f64)):
                    sel = (k == code) & ok
                    bad |= sel & (length != size)
                    good = sel & (length == size)
                    if good.any():
                        fval[a[good]] = reader(arr, after[good])
                        nval[a[good]] += 1
                        vkind[a[good]] = kind
                sel = (k == 0x22) & ok
                for size, kind, reader in ((4, 4, _f32), (8, 8, _f64)):
                    good = sel & (length == size)
                    if good.any():
                        fval[a[good]] = reader(arr, after[good])
                        nval[a[good]] += 1
                        vkind[a[good]] = kind
                bad |= sel & (length != 4) & (length != 8)
                pos[a] = after + length
                tslow[a[bad]] = True
                known |= m
            tslow[act[~known]] = True
        tslow |= pos != tend
        single = nval == 1
        good = (
            ~tslow
            & single
            & (
                ((dtype == 1) & ((vkind == 1) | (vkind == 4)))
                | ((dtype == 2) & ((vkind == 2) | (vkind == 8)))
            )
        )
        t_value[tens[good]] = fval[good]
        t_ok[tens[good]] = True
        vslow[tens[~good]] = True  # ints, halves, strings, shaped or odd tensors: the general path

    # -- gather the fast results -------------------------------------------------------------------------------
    scalar = ~vslow & (tag_s >= 0) & (has_simple | t_ok)
    # Everything else with metadata (hparams, text, ...) is looked at by the general path: its plugin and
    # content matter. Values without a scalar and without metadata (histograms, images) are only counted.
    slow[rec[~scalar & (vslow | (tag_s < 0) | (meta_s >= 0))]] = True
    non_scalar = int((~scalar & ~vslow & (tag_s >= 0) & (meta_s < 0)).sum())
    f_rec = rec[scalar]
    f_tags = _tag_ids(arr, tag_s[scalar], tag_len[scalar], table)
    f_vals = np.where(has_simple[scalar], simple[scalar], t_value[scalar])
    # A tag's plugin comes from its first metadata in file order (candidates from both paths, sorted).
    plugins: list[tuple[int, int, int, str | None]] = []  # (record, value index, tag id, plugin)
    with_meta = np.flatnonzero(meta_s[scalar] >= 0)
    if with_meta.size:
        firsts = np.unique(f_tags[with_meta], return_index=True)
        scalar_idx = np.flatnonzero(scalar)
        for tag_id, first in zip(firsts[0].tolist(), firsts[1].tolist()):
            if tag_id in table.plugin:
                continue
            i = int(scalar_idx[with_meta[first]])
            try:
                meta = arr[int(meta_s[i]) : int(meta_e[i])].tobytes()
                plugin, _, _ = parse_metadata(meta, 0, len(meta))
            except WireError:
                plugin = None
            plugins.append((int(rec[i]), 0, tag_id, plugin))

    # -- the general path ------------------------------------------------------------------------------------------
    malformed = 0
    problems: list[str] = []
    hparams: dict = {}
    s_rec: list[int] = []
    s_sub: list[int] = []
    s_tag: list[int] = []
    s_step: list[int] = []
    s_wall: list[float] = []
    s_val: list[float] = []
    slow_idx = np.flatnonzero(slow)
    if slow_idx.size:
        data = arr.tobytes() if slow_idx.size > 64 else None
        for i in slow_idx.tolist():
            a, b = int(starts[i]), int(end[i])
            try:
                event = parse_event(data, a, b) if data is not None else parse_event(arr[a:b].tobytes())
            except WireError as err:
                malformed += 1
                if len(problems) < 5:
                    problems.append(f"malformed event: {err}")
                continue
            for sub, v in enumerate(event.values):
                tag_id = table.id(v.tag)
                if v.plugin is not None and tag_id not in table.plugin:
                    plugins.append((i, sub, tag_id, v.plugin))
                if v.plugin == "hparams" and v.content:
                    with contextlib.suppress(WireError):
                        hparams.update(parse_hparams(v.content))
                if v.value is None:
                    non_scalar += 1
                    continue
                s_rec.append(i)
                s_sub.append(sub)
                s_tag.append(tag_id)
                s_step.append(event.step)
                s_wall.append(event.wall_time)
                s_val.append(v.value)
    for _, _, tag_id, plugin in sorted(plugins, key=lambda c: (c[0], c[1])):
        table.note_plugin(tag_id, plugin)

    tag_ids = np.concatenate([f_tags, np.asarray(s_tag, dtype=np.int64)])
    steps = np.concatenate([step[f_rec].view(np.int64), np.asarray(s_step, dtype=np.int64)])
    walls = np.concatenate([wall[f_rec], np.asarray(s_wall, dtype=np.float64)])
    values = np.concatenate([f_vals, np.asarray(s_val, dtype=np.float64)])
    rec_all = np.concatenate([f_rec.astype(np.int64), np.asarray(s_rec, dtype=np.int64)])
    sub_all = np.concatenate([np.zeros(f_rec.size, np.int64), np.asarray(s_sub, dtype=np.int64)])
    return _General(
        tag_ids,
        steps,
        walls,
        values,
        malformed,
        non_scalar,
        int(slow_idx.size),
        problems,
        hparams,
        rec=rec_all,
        sub=sub_all,
    )
