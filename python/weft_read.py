#!/usr/bin/env python3
"""Reads a .weft log into Python: records as dicts, float arrays as numpy arrays — and checks it.

Written from docs/format.md (and, for compact logs, the optimizers' arithmetic in src/optim, which
it points to), with the standard library, numpy and msgpack (Debian: python3-numpy
python3-msgpack; or pip install numpy msgpack). A test (tests/log/python-reader.test.ts) holds it
to weft's own reader.

It checks the whole log as docs/format.md says a reader that takes the whole log does (file
layout, frame order, state hash): every frame, the trailer and the index, the records' order,
the end record, the parameter table, and the states — every keyframe decoded and hashed, every
step's state rebuilt (full logs from its differences, compact logs by weft's optimizer on its
gradient) and its hash compared. Damage is one line naming its byte offset and record, exit 3: it
never answers with data the log does not hold. (A summary log's states between keyframes, and
its first keyframe, only re-executing training can check: `weft verify`; the summary says so.)

    python3 python/weft_read.py LOG              a summary of the log, after checking all of it
    python3 python/weft_read.py LOG --json       every step's scalars and its arrays' hashes
    python3 python/weft_read.py LOG --npz OUT --step N
                                                  the state after step N as .npz

Exit codes: 0 ok; 2 bad usage or input (no such file, not a weft log, numpy or msgpack missing);
3 corrupt or unreadable data (also a format version newer than this reader).

As a module:

    log = WeftLog("runs/baseline.weft")  # frames, index, order, end record, table: checked
    log.check()                          # and every state: keyframes, step hashes
    log.header["params"]                 # the parameter table
    log.step(3)["loss"]                  # a step's record, scalars as floats, arrays decoded
    state = log.state_at(3)              # {"params", "m", "v", "optimT"}, its hash checked
    log.tensor(state["params"], "blocks.1.attn.qkv.weight")   # one tensor, in its shape
"""
import argparse
import hashlib
import json
import math
import re
import struct
import sys
import zlib

_MISSING = []
try:
    import numpy as np
except ImportError:
    _MISSING.append("numpy")
try:
    import msgpack
except ImportError:
    _MISSING.append("msgpack")


def _missing_message():
    names = " and ".join(_MISSING)
    debs = " ".join(f"python3-{m}" for m in _MISSING)
    return (f"weft_read: this python3 ({sys.executable}) has no {names} module{'s' if len(_MISSING) > 1 else ''}; "
            f"install {debs} (Debian, for /usr/bin/python3) or `{sys.executable} -m pip install {' '.join(_MISSING)}`")


if _MISSING:
    if __name__ == "__main__":
        print(_missing_message(), file=sys.stderr)
        sys.exit(2)
    raise ImportError(_missing_message())

FILE_MAGIC = b"WEFTLOG\n"
TRAILER_MAGIC = b"WEFTIDX\n"
FORMAT_VERSION = 3  # 2: logs with attention probes (records of kind "probe"); 3: with evaluations ("eval")
FILE_HEADER_BYTES = 16
FRAME_HEADER_BYTES = 8
TRAILER_BYTES = 16
RECORD_BYTES_MAX = 1 << 30
KIND_CODES = {"header": 0, "keyframe": 1, "step": 2, "anomaly": 3, "end": 4, "index": 5, "probe": 6, "eval": 7}
SCALE_BITS = 14
SCALE = 1 << SCALE_BITS
RANS_L = 1 << 23
# the numeric mode whose optimizer arithmetic this reader repeats (compact logs)
REPLAY_MODE = "reference-f64acc-v1"
# decoded bytes held at once while walking a log (bounds memory, keeps numpy's batches large)
CHUNK_BYTES = 48 << 20


class WeftFormatError(Exception):
    """Not a weft log this reader can read (exit 2; 3 for a newer format), or corrupt (WeftCorruptError)."""
    exit_code = 2

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class WeftCorruptError(WeftFormatError):
    """Damage: names the byte offset (−1 when none applies) and the record number (None: none). Exit 3."""
    exit_code = 3

    def __init__(self, offset, record, what):
        where = f" at byte {offset}" if offset >= 0 else ""
        rec = f" (record {record})" if record is not None else ""
        super().__init__(f"corrupt{where}{rec}: {what}")
        self.offset = offset
        self.record = record


class WeftUsageError(WeftFormatError):
    """A question the log cannot answer (a step it does not hold). Exit 2."""
    exit_code = 2


# ---- record schemas (docs/format.md, "Records") -----------------------------------------------

_HASH = re.compile(r"[0-9a-f]{32}")
_PARENT_HASH = re.compile(r"[0-9a-f]{64}")
_ARCH = re.compile(r"[a-z][a-z0-9-]{0,31}")


def _is_int(v, lo=0):
    # msgpack writers may store an integer beyond 32 bits as a float64 (msgpackr does): its value counts
    return (type(v) is int or (type(v) is float and v.is_integer())) and v >= lo


def _is_bin(v, n=None):
    return type(v) is bytes and (n is None or len(v) == n)


def _is_str(v):
    return type(v) is str and len(v) <= 10000


def _is_hash(v):
    return type(v) is str and _HASH.fullmatch(v) is not None


def _nil_or(check):
    return lambda v: v is None or check(v)


def _is_str_list(limit):
    return lambda v: type(v) is list and len(v) <= limit and all(_is_str(s) for s in v)


def _is_number(v):
    return type(v) in (int, float)


def _exact_map(fields):
    """A map with exactly these keys (nested maps of the header allow no others)."""
    return lambda v: type(v) is dict and set(v) == set(fields) and all(fields[k](v[k]) for k in fields)


_PARAM_ENTRY = _exact_map({"name": _is_str, "shape": lambda v: type(v) is list and len(v) <= 8 and all(_is_int(d, 1) for d in v),
                           "offset": _is_int, "size": lambda v: _is_int(v, 1), "layer": _is_int})
_MODEL_FIELDS = {"nLayers": lambda v: _is_int(v, 1), "nHeads": lambda v: _is_int(v, 1), "dropout": _is_number}
_OPTIM_FIELDS = {"kind": _is_str, "beta1": _is_number, "beta2": _is_number, "eps": _is_number, "weightDecay": _is_number, "momentum": _is_number}


def _is_config(v):
    """The parts of the run configuration this reader uses (weft checks the whole of it)."""
    if type(v) is not dict or type(v.get("model")) is not dict or type(v.get("optim")) is not dict:
        return False
    return all(k in v["model"] and f(v["model"][k]) for k, f in _MODEL_FIELDS.items()) and \
        all(k in v["optim"] and f(v["optim"][k]) for k, f in _OPTIM_FIELDS.items())


SCHEMAS = {
    "header": {
        "format": lambda v: _is_int(v, 1), "weft": _is_str, "scenario": _is_str, "config": _is_config, "seed": _is_int,
        "dtype": lambda v: v in ("float32", "float64"), "numericMode": _is_str, "mode": lambda v: v in ("full", "compact", "summary"),
        "keyframeEvery": lambda v: _is_int(v, 1), "vocabSize": lambda v: _is_int(v, 2), "vocab": _nil_or(_is_str_list(65536)),
        "params": lambda v: type(v) is list and len(v) <= 100000 and all(_PARAM_ENTRY(p) for p in v),
        "dropoutSites": _is_str_list(1000), "maskElements": _is_int,
        "optimBuffers": _exact_map({"m": lambda v: type(v) is bool, "v": lambda v: type(v) is bool}),
        "parent": _nil_or(_exact_map({"hash": lambda v: type(v) is str and _PARENT_HASH.fullmatch(v) is not None, "step": _is_int})),
        "startStep": _is_int,
    },
    "keyframe": {"step": _is_int, "optimT": _is_int, "params": _is_bin, "m": _is_bin, "v": _is_bin, "stateHash": _is_hash},
    "step": {
        "step": lambda v: _is_int(v, 1), "inputs": _is_bin, "targets": _is_bin, "loss": lambda v: _is_bin(v, 8), "lr": lambda v: _is_bin(v, 8),
        "gradNormGlobal": lambda v: _is_bin(v, 8), "gradNormPerLayer": _is_bin, "gradNormPerTensor": _is_bin,
        "clipFactor": lambda v: _is_bin(v, 8), "masks": _nil_or(_is_bin), "params": _nil_or(_is_bin), "m": _nil_or(_is_bin),
        "v": _nil_or(_is_bin), "grads": _nil_or(_is_bin), "optimT": _is_int, "stateHash": _is_hash,
    },
    "anomaly": {"step": lambda v: _is_int(v, 1), "stage": lambda v: v in ("loss", "grad", "param"), "tensor": _nil_or(_is_str), "index": _nil_or(_is_int)},
    "end": {"reason": lambda v: v in ("completed", "non-finite", "interrupted"), "steps": _is_int, "stateHash": _is_hash},
    "index": {"offsets": _is_bin, "kinds": _is_bin, "steps": _is_bin},
    "probe": {"step": _is_int, "ids": lambda v: type(v) is list and len(v) <= 16 and all(_is_bin(b) for b in v),
              "attention": lambda v: type(v) is list and len(v) <= 16 and all(_is_bin(b) for b in v)},
    "eval": {"step": _is_int, "heldOut": lambda v: _is_split_figures(v), "train": lambda v: _is_split_figures(v)},
}
INT_FIELDS = {"header": ("format", "seed", "keyframeEvery", "vocabSize", "maskElements", "startStep"), "keyframe": ("step", "optimT"),
              "step": ("step", "optimT"), "anomaly": ("step",), "end": ("steps",), "probe": ("step",), "eval": ("step",)}
OPTIONAL_FIELDS = {"header": {"arch": lambda v: type(v) is str and _ARCH.fullmatch(v) is not None},
                   # completion probes (config.probe.prompts): per prompt its ids, greedy tokens (i32), top ids (i32) and probabilities (f64)
                   "probe": {"completions": lambda v: type(v) is list and len(v) <= 16 and all(_is_completion(c) for c in v)}}


def _is_completion(c):
    return (type(c) is dict and set(c) == {"ids", "tokens", "top", "probabilities"} and all(_is_bin(c[k]) for k in c)
            and len(c["ids"]) % 4 == 0 and len(c["tokens"]) % 4 == 0 and len(c["probabilities"]) == 2 * len(c["top"]))


def _is_split_figures(v):
    """An eval record's figures of one split: examples, counted (integers), loss and accuracy (float64 in 8 bytes; accuracy nil without one answer)."""
    return (type(v) is dict and set(v) == {"examples", "counted", "loss", "accuracy"} and _is_int(v["examples"]) and _is_int(v["counted"])
            and _is_bin(v["loss"], 8) and (v["accuracy"] is None or _is_bin(v["accuracy"], 8)))


def record_problem(rec):
    """None when the record is valid against its kind's schema, else what is wrong ("step.loss: …")."""
    if type(rec) is not dict:
        return "record body is not a map"
    kind = rec.get("kind")
    if kind not in SCHEMAS:
        return f"unknown record kind {kind!r}"
    for key, check in SCHEMAS[kind].items():
        if key not in rec:
            return f"{kind}: must have property {key!r}"
        if not check(rec[key]):
            return f"{kind}.{key}: not a valid value"
    for key, check in OPTIONAL_FIELDS.get(kind, {}).items():
        if key in rec and not check(rec[key]):
            return f"{kind}.{key}: not a valid value"
    return None  # keys it does not know are a later weft's optional fields: kept


def _unpack(body):
    # msgpack's own errors vary by version and input: any failure is an undecodable body
    try:
        return msgpack.unpackb(body, raw=False), None
    except Exception as e:  # noqa: BLE001
        return None, f"undecodable msgpack ({type(e).__name__}: {e})"


# ---- frames, trailer, index (R1–R3) -------------------------------------------------------------

class Frame:
    __slots__ = ("offset", "end", "kind", "step", "record")

    def __init__(self, offset, end, record):
        self.offset = offset
        self.end = end
        self.record = record
        self.kind = record["kind"]
        self.step = record["step"] if self.kind in ("keyframe", "step", "anomaly", "probe", "eval") else -1


def _frame_at(data, offset, limit, record):
    """The checked record of the frame at offset, which must end by limit."""
    length, crc = struct.unpack_from("<II", data, offset)
    if length > RECORD_BYTES_MAX or offset + FRAME_HEADER_BYTES + length > limit:
        raise WeftCorruptError(offset, record, f"record length {length} runs past the end of its space (byte {limit})")
    body = memoryview(data)[offset + FRAME_HEADER_BYTES:offset + FRAME_HEADER_BYTES + length]
    actual = zlib.crc32(body)
    if actual != crc:
        raise WeftCorruptError(offset, record, f"checksum mismatch (stored {crc:08x}, computed {actual:08x})")
    rec, problem = _unpack(body)
    if problem is None:
        problem = record_problem(rec)
        if problem is not None:
            problem = f"invalid record: {problem}"
    if problem is not None:
        raise WeftCorruptError(offset, record, problem)
    for key in INT_FIELDS.get(rec["kind"], ()):
        if type(rec[key]) is float:
            rec[key] = int(rec[key])
    return Frame(offset, offset + FRAME_HEADER_BYTES + length, rec)


def _length_bit_flipped(data, offset, length, crc):
    """The bit of a frame's length that, flipped, gives a frame whose checksum matches; else None."""
    for bit in range(32):
        n = length ^ (1 << bit)
        end = offset + FRAME_HEADER_BYTES + n
        if n <= RECORD_BYTES_MAX and end <= len(data) and zlib.crc32(memoryview(data)[offset + FRAME_HEADER_BYTES:end]) == crc:
            return bit
    return None


def read_frames(data):
    """The log's frames, every one checked (R1), and how many torn bytes were dropped (R2). A
    closed log's trailer must lead to an index frame that lists exactly the frames before it (R3)."""
    if 8 <= len(data) < FILE_HEADER_BYTES and data[:8] == FILE_MAGIC:
        raise WeftCorruptError(len(data), None, f"the file header is cut short ({len(data)} of {FILE_HEADER_BYTES} bytes)")
    if len(data) < FILE_HEADER_BYTES or data[:8] != FILE_MAGIC:
        if len(data) >= 8 and sum(bin(a ^ b).count("1") for a, b in zip(data[:8], FILE_MAGIC)) <= 2:
            raise WeftCorruptError(0, None, 'the file magic "WEFTLOG\\n" is damaged')
        raise WeftFormatError('not a weft log (bytes 0…7 are not "WEFTLOG\\n")')
    version, reserved = struct.unpack_from("<II", data, 8)
    if version > FORMAT_VERSION:
        raise WeftFormatError(f"log format version {version} (byte 8) is newer than this reader ({FORMAT_VERSION})", 3)
    if version < 1:
        raise WeftCorruptError(8, None, f"bad format version {version}")
    if reserved != 0:
        raise WeftCorruptError(12, None, "reserved header bytes are not zero")
    size = len(data)
    closed = size >= FILE_HEADER_BYTES + TRAILER_BYTES and data[size - TRAILER_BYTES:size - 8] == TRAILER_MAGIC
    index_at = None
    limit = size
    if closed:
        (at,) = struct.unpack_from("<d", data, size - 8)
        if not (math.isfinite(at) and at == int(at) and FILE_HEADER_BYTES <= at <= size - TRAILER_BYTES - FRAME_HEADER_BYTES):
            raise WeftCorruptError(size - TRAILER_BYTES, None, f"the trailer's index offset {at!r} is not a frame's offset in this file")
        index_at = limit = int(at)
    frames = []
    torn = 0
    offset = FILE_HEADER_BYTES
    while offset < limit:
        record = len(frames)
        remaining = limit - offset
        if remaining < FRAME_HEADER_BYTES:
            if closed:
                raise WeftCorruptError(offset, record, f"{remaining} bytes between the last frame and the index")
            torn = remaining
            break
        length, crc = struct.unpack_from("<II", data, offset)
        if length <= RECORD_BYTES_MAX and offset + FRAME_HEADER_BYTES + length > limit and not closed:
            # a torn tail (a killed run), unless one flipped bit of the length explains it
            bit = _length_bit_flipped(data, offset, length, crc)
            if bit is not None:
                raise WeftCorruptError(offset, record, f"record length {length} runs past the end of the file, and with bit {bit} flipped its checksum matches: a damaged length, not a torn tail")
            torn = remaining
            break
        f = _frame_at(data, offset, limit, record)
        if f.kind == "index":
            if closed:
                raise WeftCorruptError(offset, record, f"an index frame before the index the trailer names (byte {index_at})")
            # after an index only its trailer may come: none or part of one (a kill while the log
            # was closing: its frames are whole), or 16 bytes that are not a trailer (damage)
            after = size - f.end
            if after == TRAILER_BYTES:
                raise WeftCorruptError(f.end, None, 'the trailer is damaged (it does not start with "WEFTIDX\\n")')
            if after > TRAILER_BYTES:
                raise WeftCorruptError(offset, record, "an index record before the end of the log")
            torn = after
            break
        frames.append(f)
        offset = f.end
    if not frames or frames[0].kind != "header":
        raise WeftCorruptError(FILE_HEADER_BYTES, 0, "the first record is not a header")
    if closed:
        idx = _frame_at(data, index_at, size - TRAILER_BYTES, len(frames))
        if idx.end != size - TRAILER_BYTES:
            raise WeftCorruptError(index_at, len(frames), f"the index frame ends at byte {idx.end}, not at the trailer (byte {size - TRAILER_BYTES})")
        if idx.kind != "index":
            raise WeftCorruptError(index_at, len(frames), f"the trailer leads to a {idx.kind} record, not the index")
        _check_index(idx, frames)
    return frames, torn, closed


def _check_index(idx, frames):
    r = idx.record
    n = len(frames)
    if len(r["offsets"]) % 8 or len(r["steps"]) % 8:
        raise WeftCorruptError(idx.offset, n, "index arrays are not whole float64s")
    offsets = np.frombuffer(r["offsets"], "<f8")
    kinds = np.frombuffer(r["kinds"], np.uint8)
    steps = np.frombuffer(r["steps"], "<f8")
    if not (len(offsets) == len(kinds) == len(steps) == n):
        raise WeftCorruptError(idx.offset, n, f"the index lists {len(offsets)} offsets, {len(kinds)} kinds and {len(steps)} steps; the log holds {n} frames before it")
    want_offsets = np.array([f.offset for f in frames], "<f8")
    want_kinds = np.array([KIND_CODES[f.kind] for f in frames], np.uint8)
    want_steps = np.array([f.step for f in frames], "<f8")
    bad = np.flatnonzero((offsets != want_offsets) | (kinds != want_kinds) | (steps != want_steps))
    if len(bad):
        i = int(bad[0])
        f = frames[i]
        if offsets[i] != want_offsets[i]:
            raise WeftCorruptError(idx.offset, n, f"the index gives byte {offsets[i]:.0f} for record {i}, which is at byte {f.offset}")
        names = {v: k for k, v in KIND_CODES.items()}
        raise WeftCorruptError(f.offset, i, f"the record is a {f.kind} of step {f.step}, the index says a {names.get(int(kinds[i]), kinds[i])} of step {steps[i]:.0f}")


# ---- rANS blocks (docs/format.md, "rANS blocks"), decoded many at a time -------------------------

class _BlockError(Exception):
    pass


def _parse_block(block, n, dest):
    """A block's header. Stored and repeated blocks are written to dest here; for rANS returns
    (symbols, frequencies, x0, x1, stream)."""
    size = len(block)
    if size < 1:
        raise _BlockError("empty block")
    mode = block[0]
    if mode == 0:
        if size != 1 + n:
            raise _BlockError(f"stored block holds {size - 1} bytes, expected {n}")
        dest[:] = np.frombuffer(block, np.uint8, n, 1)
        return None
    if mode == 2:
        if size != 2:
            raise _BlockError("bad repeated-byte block")
        dest[:] = block[1]
        return None
    if mode != 1:
        raise _BlockError(f"unknown block mode {mode}")
    if size < 33:
        raise _BlockError("truncated rANS header")
    symbols = np.flatnonzero(np.unpackbits(np.frombuffer(block, np.uint8, 32, 1), bitorder="little"))
    k = len(symbols)
    if k == 0:
        raise _BlockError("rANS frequencies do not sum to 2^14")
    if size == 33:
        raise _BlockError("truncated rANS frequency table")
    table = np.frombuffer(block, np.uint8, min(2 * k, size - 33), 33).astype(np.int64)
    # a frequency is one byte below 128, else two; a second byte is f >> 7 < 128 unless f = 2^14,
    # which only a lone symbol has: so a byte starts a frequency exactly when the one before it is < 128
    starts = np.flatnonzero(np.concatenate(([True], table[:-1] < 0x80)))[:k]
    if len(starts) < k or starts[-1] + (table[starts[-1]] >= 0x80) >= len(table):
        raise _BlockError("truncated rANS frequency table")
    first = table[starts]
    wide = first >= 0x80
    freq = first.copy()
    if wide.any():
        freq[wide] = (first[wide] & 0x7F) | (table[starts[wide] + 1] << 7)
    if (freq == 0).any() or freq.sum() != SCALE:
        raise _BlockError("rANS frequencies do not sum to 2^14" if (freq != 0).all() else "bad rANS frequencies")
    o = 33 + int(starts[-1]) + 1 + int(wide[-1])
    if o + 8 > size:
        raise _BlockError("truncated rANS state")
    x0, x1 = struct.unpack_from("<II", block, o)
    if not (RANS_L <= x0 < RANS_L << 8 and RANS_L <= x1 < RANS_L << 8):
        raise _BlockError("bad rANS initial state")
    return symbols, freq, x0, x1, block[o + 8:]


class Blocks:
    """rANS blocks to decode, each into its destination (a uint8 array view of n bytes). run()
    decodes them together: the blocks in lockstep, one numpy operation per symbol position over
    all of them, so that Python's per-symbol cost is paid once per position, not once per byte."""

    # bytes of slot tables, streams and output rows one lockstep pass holds: more lanes per pass
    # amortize numpy's per-call cost better
    PASS_BYTES = 128 << 20

    def __init__(self):
        self.items = []

    def add(self, block, n, dest, fail):
        """fail(message) -> the exception to raise when this block does not decode."""
        self.items.append((block, n, dest, fail))

    def run(self):
        errors = []
        lanes = []
        for i, (block, n, dest, _) in enumerate(self.items):
            try:
                parsed = _parse_block(block, n, dest)
            except _BlockError as e:
                errors.append((i, str(e)))
                continue
            if parsed is not None:
                lanes.append((n, i) + parsed)
        lanes.sort(key=lambda lane: -lane[0])
        start = 0
        while start < len(lanes):
            end = start
            held = 0  # a pass's slot tables, stream and its words, and output rows
            while end < len(lanes) and (end == start or held + self._lane_bytes(lanes[start][0], lanes[end]) <= self.PASS_BYTES):
                held += self._lane_bytes(lanes[start][0], lanes[end])
                end += 1
            errors += self._lockstep(lanes[start:end])
            start = end
        items = self.items
        self.items = []
        if errors:
            i, message = min(errors)
            raise items[i][3](message)

    @staticmethod
    def _lane_bytes(longest, lane):
        return SCALE + longest + 5 * len(lane[6])

    def _lockstep(self, lanes):
        """Decodes lanes (sorted by length, longest first) together; returns [(item, error)]."""
        K = len(lanes)
        ns = np.array([lane[0] for lane in lanes], np.int64)
        sym_table = np.empty(K * SCALE, np.uint8)
        fc_table = np.zeros(K * 256, np.uint32)  # per lane and symbol: frequency << 16 | cumulative
        for j, (_, _, symbols, freq, _, _, _) in enumerate(lanes):
            sym_table[j * SCALE:(j + 1) * SCALE] = np.repeat(symbols.astype(np.uint8), freq)
            fc_table[j * 256 + symbols] = (freq << 16) | (np.cumsum(freq) - freq)
        streams = [lane[6] for lane in lanes]
        lengths = np.array([len(s) for s in streams], np.int64)
        stream = np.frombuffer(b"".join(streams) + bytes(4), np.uint8)
        # at every position, its four stream bytes as one big-endian word (the most both states
        # take in one step): an overlapping view of the stream, made native once
        window = np.ndarray((len(stream) - 3,), dtype=">u4", buffer=stream, strides=(1,)).astype(np.uint32)
        del stream
        ends = np.cumsum(lengths)
        pos = ends - lengths
        X = np.empty((2, K), np.uint32)
        X[0] = [lane[4] for lane in lanes]
        X[1] = [lane[5] for lane in lanes]
        base = np.arange(K, dtype=np.int64) * SCALE
        base256 = np.arange(K, dtype=np.int64) * 256
        out = np.empty((int(ns[0]), K), np.uint8)  # row i: every lane's byte i
        pairs = ns // 2
        p = 0
        while p < pairs[0]:
            k = int(np.count_nonzero(pairs > p))  # the lanes still decoding (a prefix: sorted)
            stop = int(pairs[k - 1])
            Xk = np.ascontiguousarray(X[:, :k])
            _pairs(Xk, pos[:k], base[:k], base256[:k], sym_table, fc_table, window, out[:, :k], p, stop)
            X[:, :k] = Xk
            p = stop
        odd = np.flatnonzero(ns & 1)
        if len(odd):  # the last byte of an odd-length block, on state 0 alone
            x = X[0, odd].astype(np.int64)
            slot = x & (SCALE - 1)
            s = sym_table[base[odd] + slot]
            out[ns[odd] - 1, odd] = s
            g = fc_table[base256[odd] + s].astype(np.int64)
            x = (g >> 16) * (x >> SCALE_BITS) + slot - (g & 0xFFFF)
            c = (x < RANS_L).astype(np.int64) + (x < 1 << 15)
            w = window[np.minimum(pos[odd], len(window) - 1)].astype(np.int64)
            X[0, odd] = (x << (8 * c)) | (w >> (32 - 8 * c))
            pos[odd] += c
        errors = []
        good = (pos == ends) & (X[0] == RANS_L) & (X[1] == RANS_L)
        for j0 in range(0, K, 64):  # lanes' bytes from the rows, 64 lanes transposed at a time
            by_lane = np.ascontiguousarray(out[:, j0:j0 + 64].T)
            for j in range(j0, min(K, j0 + 64)):
                n, i = lanes[j][0], lanes[j][1]
                if good[j]:
                    self.items[i][2][:] = by_lane[j - j0, :n]
                else:
                    errors.append((i, "rANS stream ended early" if pos[j] > ends[j] else "rANS stream has trailing data or a bad final state"))
        return errors


_U32 = {c: np.uint32(c) for c in (3, 16, 32, SCALE_BITS, SCALE - 1, 0xFFFF, 1 << 15, RANS_L)}


def _pairs(X, pos, base, base256, sym_table, fc_table, window, out, p0, p1):
    """Symbol pairs p0…p1−1 of k lanes: X (2, k) uint32 the states (x0, x1) — below 2^31
    throughout, so uint32 arithmetic is exact — pos their stream positions, out[i] their bytes i."""
    k = X.shape[1]
    c = _U32  # numpy scalars: a Python int costs a conversion per operation
    slot = np.empty((2, k), np.uint32)
    idx = np.empty((2, k), np.int64)
    g = np.empty((2, k), np.uint32)
    t = np.empty((2, k), np.uint32)
    b1 = np.empty((2, k), np.bool_)
    b2 = np.empty((2, k), np.bool_)
    cnt = np.empty((2, k), np.uint8)
    sh = np.empty((2, k), np.uint32)
    bits = np.empty((2, k), np.uint32)
    at = np.empty(k, np.int64)
    rows = np.empty((2, k), np.uint8)
    direct = out.shape[1] == out.base.shape[1] if out.base is not None else True
    sh0, c0, c1, bits0, bits1 = sh[0], cnt[0], cnt[1], bits[0], bits[1]
    b1u, b2u = b1.view(np.uint8), b2.view(np.uint8)
    last = np.int64(len(window) - 1)  # a lane that overruns its stream reads on (and fails its final check)
    three = np.uint8(3)
    for p in range(p0, p1):
        np.bitwise_and(X, c[SCALE - 1], out=slot)
        np.add(slot, base, out=idx)
        if direct:  # (mode="wrap": the indices are in range; "raise" and "clip" are far slower)
            rows = out[2 * p:2 * p + 2]
            np.take(sym_table, idx, out=rows, mode="wrap")
        else:
            np.take(sym_table, idx, out=rows, mode="wrap")
            out[2 * p:2 * p + 2] = rows
        np.add(rows, base256, out=idx)
        np.take(fc_table, idx, out=g, mode="wrap")
        # x = f · (x >> 14) + slot − cum
        np.right_shift(X, c[SCALE_BITS], out=X)
        np.right_shift(g, c[16], out=t)
        np.multiply(X, t, out=X)
        np.add(X, slot, out=X)
        np.bitwise_and(g, c[0xFFFF], out=t)
        np.subtract(X, t, out=X)
        # renormalise: x takes 0, 1 or 2 bytes (x ≥ 2^9 after a step), state 0 first: of the next
        # four stream bytes, state 0 takes the high sh0 bits, state 1 the sh1 bits after them
        np.less(X, c[RANS_L], out=b1)
        np.less(X, c[1 << 15], out=b2)
        np.add(b1u, b2u, out=cnt)
        np.left_shift(cnt, three, out=sh)
        np.minimum(pos, last, out=at)
        np.take(window, at, out=bits0, mode="wrap")
        np.left_shift(bits0, sh0, out=bits1)
        np.left_shift(X, sh, out=X)
        np.subtract(c[32], sh, out=sh)
        np.right_shift(bits, sh, out=bits)  # numpy defines a shift by 32 as 0
        np.bitwise_or(X, bits, out=X)
        np.add(pos, c0, out=pos)
        np.add(pos, c1, out=pos)


def _as_fail(fail):
    return fail or (lambda message: WeftCorruptError(-1, None, message))


def rans_decode(block, n, fail=None):
    """The n bytes a block codes (docs/format.md, "rANS blocks")."""
    out = np.empty(n, np.uint8)
    b = Blocks()
    b.add(block, n, out, _as_fail(fail))
    b.run()
    return out.tobytes()


# ---- float-array blocks (docs/format.md, "Float-array blocks") ---------------------------------

class FloatBlock:
    """A float-array block's layout, checked; its planes fill when the Blocks it was added to run."""

    def __init__(self, buf, count, width, fail):
        fail = _as_fail(fail)
        size = len(buf)
        if size < 10:
            raise fail("array block shorter than its header")
        self.transform, self.width = buf[0], buf[1]
        got, k = struct.unpack_from("<II", buf, 2)
        if self.width != width or got != count:
            raise fail(f"array block holds {got} × {self.width}-byte values, expected {count} × {width}")
        if self.transform > 2:
            raise fail(f"unknown transform {self.transform}")
        if self.transform == 1 and width == 8:
            raise fail("zigzag-diff32 on 8-byte values")
        if k < 1 or k > count + 1 or 10 + 4 * k > size:
            raise fail(f"bad segment count {k}")
        ends = struct.unpack_from(f"<{k}I", buf, 10)
        if any(b < a for a, b in zip((0,) + ends, ends)) or ends[-1] != count:
            raise fail("bad segment ends")
        self.count = count
        self.planes = np.empty((count, width), np.uint8)
        self.parts = []
        o = 10 + 4 * k
        view = memoryview(buf)
        for b in range(width):
            start = 0
            for e in ends:
                if o + 4 > size:
                    raise fail(f"array block truncated in plane {b}")
                (length,) = struct.unpack_from("<I", buf, o)
                if o + 4 + length > size:
                    raise fail(f"plane {b} overruns its array block")
                self.parts.append((view[o + 4:o + 4 + length], e - start, self.planes[start:e, b], b))
                o += 4 + length
                start = e
        if o != size:
            raise fail("array block has trailing bytes")
        self.fail = fail

    def add_to(self, blocks):
        for block, n, dest, plane in self.parts:
            blocks.add(block, n, dest, lambda message, plane=plane: self.fail(f"plane {plane}: {message}"))

    def bits(self, ref=None, direction=1):
        """The values' bits (uint32 for float32, uint64 for float64); `ref` the neighbouring
        step's bits for a difference (+1: the step before; −1: the step after, walking back)."""
        z = self.planes.view("<u4" if self.width == 4 else "<u8").reshape(self.count)
        if self.transform == 0:
            if direction == -1:
                raise self.fail("a plain array cannot be stepped backwards")
            return z
        if ref is None:
            raise self.fail("a delta-coded array needs the neighbouring step's array")
        if self.transform == 1:
            d = (z >> np.uint32(1)) ^ ((z & np.uint32(1)) * np.uint32(0xFFFFFFFF))
            return ref + d if direction == 1 else ref - d  # uint32 arithmetic wraps mod 2^32
        return ref ^ z


def decode_floats(block, ref=None, direction=1):
    """A float-array block as a numpy array; `ref` is the neighbouring step's array for a
    difference (direction +1: the step before; −1: the step after, to walk backwards)."""
    if len(block) < 10:
        raise WeftCorruptError(-1, None, "array block shorter than its header")
    count, width = struct.unpack_from("<I", block, 2)[0], block[1]
    fb = FloatBlock(block, count, width, None)
    b = Blocks()
    fb.add_to(b)
    b.run()
    ft = np.float32 if width == 4 else np.float64
    r = None if ref is None else np.ascontiguousarray(ref, dtype=ft).view("<u4" if width == 4 else "<u8")
    return np.ascontiguousarray(fb.bits(r, direction)).view(ft)


def scalar(b):
    return struct.unpack("<d", b)[0]


def state_hash(step, optim_t, params, m, v):
    h = hashlib.sha256(struct.pack("<2d", step, optim_t))
    for a in (params, m, v):
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()[:32]


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a).data).hexdigest()[:32]


# ---- weft's optimizers (src/optim), for compact logs ---------------------------------------------
# Each value is computed in float64 in weft's order and rounded once when stored, so these give
# weft's bits; NaN as the canonical quiet NaN where weft's kernel makes it so (adam).

def _pow_int(base, n):
    result = 1.0
    while n > 0:
        if n & 1:
            result *= base
        base *= base
        n //= 2
    return result


def _canonical(x):
    return np.where(np.isnan(x), np.nan, x)


def _adam(o, lr, t, p, g, m, v, decoupled):
    b1, b2, eps, wd = (float(o[k]) for k in ("beta1", "beta2", "eps", "weightDecay"))
    step_size = lr / (1 - _pow_int(b1, t))
    bc2_sqrt = math.sqrt(1 - _pow_int(b2, t))
    l2 = 0.0 if decoupled else wd
    if decoupled:
        p = p * (1 - lr * wd)
    d = g + l2 * p
    mi = b1 * m + (1 - b1) * d
    vi = b2 * v + (1 - b2) * d * d
    return _canonical(p - step_size * (mi / (np.sqrt(vi) / bc2_sqrt + eps))), _canonical(mi), _canonical(vi)


def _sgd(o, lr, t, p, g, m, v):
    return p - lr * (g + float(o["weightDecay"]) * p), m, v


def _momentum(o, lr, t, p, g, m, v, dtype):
    wd, mu = float(o["weightDecay"]), float(o["momentum"])
    buf = g + wd * p if t == 1 else mu * m + (g + wd * p)
    buf = buf.astype(dtype).astype(np.float64)  # stored, then read back for the update
    return p - lr * buf, buf, v


def _lion(o, lr, t, p, g, m, v):
    b1, b2, wd = float(o["beta1"]), float(o["beta2"]), float(o["weightDecay"])
    c = b1 * m + (1 - b1) * g
    u = np.where(c > 0, 1.0, np.where(c < 0, -1.0, np.where(c == 0, 0.0, np.nan)))
    return p * (1 - lr * wd) - lr * u, b2 * m + (1 - b2) * g, v


OPTIMIZERS = {
    "sgd": lambda o, lr, t, p, g, m, v, dt: _sgd(o, lr, t, p, g, m, v),
    "momentum": _momentum,
    "adam": lambda o, lr, t, p, g, m, v, dt: _adam(o, lr, t, p, g, m, v, False),
    "adamw": lambda o, lr, t, p, g, m, v, dt: _adam(o, lr, t, p, g, m, v, True),
    "lion": lambda o, lr, t, p, g, m, v, dt: _lion(o, lr, t, p, g, m, v),
}


# ---- the log ------------------------------------------------------------------------------------

class WeftLog:
    """A log, its frames and structure checked on opening (R1–R4, R6, R7 of the reader contract);
    check(), walk() and state_at() check the states (R5 and every step's hash)."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            data = f.read()
        self.frames, self.torn_tail_bytes, self.indexed = read_frames(data)
        self.header = self.frames[0].record
        self.format = struct.unpack_from("<I", data, 8)[0]
        del data  # the records hold their own bytes
        self._check_header()
        self._check_structure()

    # -- structure ------------------------------------------------------------------------------

    def _corrupt(self, frame, what):
        return WeftCorruptError(frame.offset, self.frames.index(frame), what)

    def _check_header(self):
        h = self.header
        f0 = self.frames[0]
        if h["format"] != self.format:
            raise self._corrupt(f0, f"the header record says format {h['format']}, the file header {self.format}")
        total = 0
        for i, p in enumerate(h["params"]):
            if p["offset"] != total:
                raise self._corrupt(f0, f"parameter table: {p['name']} (entry {i}) starts at {p['offset']}, the tensors before it end at {total}")
            if p["size"] != math.prod(p["shape"]):
                raise self._corrupt(f0, f"parameter table: {p['name']} has size {p['size']}, its shape {p['shape']} holds {math.prod(p['shape'])}")
            total += p["size"]
        self.total = total
        self.dtype = np.float32 if h["dtype"] == "float32" else np.float64
        self.width = 4 if h["dtype"] == "float32" else 8
        self.counts = {"params": total, "m": total if h["optimBuffers"]["m"] else 0, "v": total if h["optimBuffers"]["v"] else 0, "grads": total}
        self.mask_bytes = (len(h["dropoutSites"]) * h["maskElements"] + 7) // 8
        self.start = h["startStep"]
        self.mode = h["mode"]

    def _check_structure(self):
        """R4 (order), R6 (end record), R7 (record sizes against the header)."""
        h = self.header
        model = h["config"]["model"]
        self.steps, self.keyframes, self.probes, self.anomalies, self.evals = {}, {}, {}, {}, {}
        self._step_frames, self._keyframe_frames = {}, {}
        self.end = None
        last = self.start
        n_frames = len(self.frames)
        for i, f in enumerate(self.frames[1:], 1):
            r, kind = f.record, f.kind
            if kind == "header":
                raise self._corrupt(f, "a second header record")
            if kind == "step":
                s = r["step"]
                if s != last + 1:
                    raise self._corrupt(f, f"step {s} after step {last}" + (f": steps {last + 1}…{s - 1} have no record" if s > last + 1 else ": steps repeat or go back"))
                if self.start not in self.keyframes:
                    raise self._corrupt(f, f"step {s} before the keyframe of step {self.start}, the log's first state")
                self._check_step_sizes(f, model)
                self.steps[s] = r
                self._step_frames[s] = f
                last = s
            elif kind in ("keyframe", "probe", "eval"):
                held = {"keyframe": self.keyframes, "probe": self.probes, "eval": self.evals}[kind]
                s = r["step"]
                if s in held:
                    raise self._corrupt(f, f"a second {kind} of step {s}")
                if s != last:
                    raise self._corrupt(f, f"{kind} of step {s} after the records of step {last} (it follows its step's record)")
                if kind == "probe":
                    if self.format < 2:
                        raise self._corrupt(f, f"a probe record in a format-{self.format} log")
                    self._check_probe_sizes(f, model)
                elif kind == "eval":
                    if self.format < 3:
                        raise self._corrupt(f, f"an eval record in a format-{self.format} log")
                else:
                    if s > self.start and self.steps[s]["stateHash"] != r["stateHash"]:
                        raise self._corrupt(f, f"the keyframe of step {s} records state {r['stateHash']}, step {s}'s record {self.steps[s]['stateHash']}")
                    self._keyframe_frames[s] = f
                held[s] = r
            elif kind == "anomaly":
                s = r["step"]
                if s in self.anomalies or s not in (last, last + 1) or s <= self.start:
                    raise self._corrupt(f, f"an anomaly of step {s} after the records of step {last}")
                self.anomalies[s] = r
            elif kind == "end":
                if i != n_frames - 1:
                    raise self._corrupt(f, "the end record is not the last record")
                self.end = r
        self.last = last
        if self.end is not None:
            e = self.end
            f = self.frames[-1]
            if e["steps"] != last:
                raise self._corrupt(f, f"the end record says {e['steps']} steps, the log's last step is {last}")
            if last > self.start:
                want = self.steps[last]["stateHash"]
            elif self.start in self.keyframes:
                want = self.keyframes[self.start]["stateHash"]
            else:
                raise self._corrupt(f, f"an end record but no keyframe of step {self.start}")
            if e["stateHash"] != want:
                raise self._corrupt(f, f"the end record's state {e['stateHash']} is not the last state's ({want})")

    def _check_step_sizes(self, f, model):
        r = f.record
        n_in = len(r["inputs"])
        if n_in % 4 or len(r["targets"]) != n_in:
            raise self._corrupt(f, f"step {r['step']}: inputs and targets are not int32s of one length")
        if len(r["gradNormPerLayer"]) % 8:
            raise self._corrupt(f, f"step {r['step']}: gradNormPerLayer is not whole float64s")
        if len(r["gradNormPerTensor"]) != 8 * len(self.header["params"]):
            raise self._corrupt(f, f"step {r['step']}: gradNormPerTensor holds {len(r['gradNormPerTensor'])} bytes, expected 8 per tensor ({len(self.header['params'])})")
        if self.mode == "full" and (r["params"] is None or r["m"] is None or r["v"] is None):
            raise self._corrupt(f, f"step {r['step']}: a full log's step has no arrays")
        if self.mode == "compact" and r["grads"] is None:
            raise self._corrupt(f, f"step {r['step']}: a compact log's step has no gradient")

    def _check_probe_sizes(self, f, model):
        r = f.record
        L, H = model["nLayers"], model["nHeads"]
        if len(r["ids"]) != len(r["attention"]):
            raise self._corrupt(f, "probe: ids and attention differ in sentences")
        for ids, att in zip(r["ids"], r["attention"]):
            T = len(ids) // 4
            if len(ids) % 4 or len(att) != 8 * L * H * T * (T + 1) // 2:
                raise self._corrupt(f, f"probe of step {r['step']}: attention of {len(att)} bytes for a sentence of {len(ids)}/4 ids")

    # -- records --------------------------------------------------------------------------------

    def _need_step(self, n):
        if n not in self.steps:
            raise WeftUsageError(f"no step {n} (the log holds steps {self.start + 1}…{self.last})")
        return self.steps[n]

    def _fail(self, kind, n, key=None):
        f = (self._step_frames if kind == "step" else self._keyframe_frames)[n]
        what = f"{kind} {n}" + (f", {key}" if key else "")
        return lambda message: self._corrupt(f, f"{what}: {message}")

    def step(self, n):
        """Step n's record: scalars as floats, norms and tokens as numpy arrays, masks by site."""
        r = dict(self._need_step(n))
        for key in ("loss", "lr", "gradNormGlobal", "clipFactor"):
            r[key] = scalar(r[key])
        r["gradNormPerLayer"] = np.frombuffer(r["gradNormPerLayer"], dtype="<f8")
        r["gradNormPerTensor"] = np.frombuffer(r["gradNormPerTensor"], dtype="<f8")
        r["inputs"] = np.frombuffer(r["inputs"], dtype="<i4")
        r["targets"] = np.frombuffer(r["targets"], dtype="<i4")
        b = Blocks()
        masks = grads = None
        if r["masks"] is not None:
            masks = np.empty(self.mask_bytes, np.uint8)
            b.add(r["masks"], self.mask_bytes, masks, self._fail("step", n, "masks"))
        if r["grads"] is not None:
            grads = FloatBlock(r["grads"], self.total, self.width, self._fail("step", n, "grads"))
            grads.add_to(b)
        b.run()
        if masks is not None:
            r["masks"] = self._sites(masks)
        if grads is not None:
            r["grads"] = grads.bits().view(self.dtype)
        return r

    def _sites(self, packed):
        sites, per = self.header["dropoutSites"], self.header["maskElements"]
        bits = np.unpackbits(packed, bitorder="little")
        return {site: bits[i * per:(i + 1) * per] for i, site in enumerate(sites)}

    def masks(self, block):
        out = np.empty(self.mask_bytes, np.uint8)
        b = Blocks()
        b.add(block, self.mask_bytes, out, _as_fail(None))
        b.run()
        return self._sites(out)

    def evaluations(self):
        """The held-out evaluations, in step order: [{step, heldOut: {examples, counted, loss, accuracy}, train: {…}}]."""
        f64 = lambda b: float(np.frombuffer(b, dtype="<f8")[0])  # noqa: E731
        split = lambda r: {"examples": r["examples"], "counted": r["counted"], "loss": f64(r["loss"]), "accuracy": None if r["accuracy"] is None else f64(r["accuracy"])}  # noqa: E731
        return [{"step": n, "heldOut": split(r["heldOut"]), "train": split(r["train"])} for n, r in sorted(self.evals.items())]

    def probe(self, n):
        """Step n's attention probes: per sentence its token ids and attention[layer, head, q, k]
        (zero above the diagonal, where a word cannot look)."""
        if n not in self.probes:
            raise WeftUsageError(f"no probe of step {n} (probes: {sorted(self.probes)})")
        r = self.probes[n]
        model = self.header["config"]["model"]
        L, H = model["nLayers"], model["nHeads"]
        out = []
        for ids_b, att_b in zip(r["ids"], r["attention"]):
            ids = np.frombuffer(ids_b, dtype="<i4")
            T = len(ids)
            tri = np.frombuffer(att_b, dtype="<f8").reshape(L, H, T * (T + 1) // 2)
            att = np.zeros((L, H, T, T))
            q, k = np.tril_indices(T)
            att[:, :, q, k] = tri
            out.append({"ids": ids, "attention": att})
        return out

    def completions(self, n):
        """Step n's completion probes (none without config.probe.prompts): per prompt its token ids,
        its greedy continuation's ids, and the likeliest next tokens with their probabilities."""
        if n not in self.probes:
            raise WeftUsageError(f"no probe of step {n} (probes: {sorted(self.probes)})")
        i32 = lambda b: np.frombuffer(b, dtype="<i4")  # noqa: E731
        return [{"ids": i32(c["ids"]), "tokens": i32(c["tokens"]), "top": i32(c["top"]), "probabilities": np.frombuffer(c["probabilities"], dtype="<f8")}
                for c in self.probes[n].get("completions", [])]

    def tensor(self, flat, name):
        for p in self.header["params"]:
            if p["name"] == name:
                return flat[p["offset"]:p["offset"] + p["size"]].reshape(p["shape"])
        raise KeyError(name)

    # -- states (R5, and every step's hash) -----------------------------------------------------

    @property
    def replayable(self):
        """Whether every step's state can be rebuilt here: a full log, or a compact one whose
        optimizer and numeric mode this reader repeats. Otherwise only keyframes hold states."""
        h = self.header
        if self.mode == "full":
            return True
        return self.mode == "compact" and h["numericMode"] == REPLAY_MODE and h["config"]["optim"]["kind"] in OPTIMIZERS

    def unchecked(self):
        """What this reader cannot check in this log (empty for full logs and replayable compact ones)."""
        if self.replayable or self.last == self.start:
            return []
        why = ("a summary log's steps are rebuilt only by re-executing training" if self.mode == "summary" else
               f"this reader does not repeat optimizer {self.header['config']['optim']['kind']!r} in numeric mode {self.header['numericMode']}")
        return [f"the states between keyframes, and the keyframe of step {self.start} against step {self.start + 1} ({why}: weft verify checks them)"]

    def _keyframe_blocks(self, k, blocks):
        r = self.keyframes[k]
        fbs = [FloatBlock(r[key], self.counts[key], self.width, self._fail("keyframe", k, key)) for key in ("params", "m", "v")]
        for fb in fbs:
            fb.add_to(blocks)
        return fbs

    def _keyframe_state(self, k, fbs):
        r = self.keyframes[k]
        params, m, v = (fb.bits() for fb in fbs)
        got = state_hash(k, r["optimT"], params, m, v)
        if got != r["stateHash"]:
            raise self._corrupt(self._keyframe_frames[k], f"keyframe {k}: its state hashes to {got}, it records {r['stateHash']}")
        return {"params": params, "m": m, "v": v, "optimT": r["optimT"]}

    def walk(self, first=None, last=None, extras=False):
        """Yields (n, state, extra) for every step n from keyframe `first` (startStep) to `last`
        whose state this reader rebuilds — every step of a replayable log, else the keyframes —
        each state checked against the log's hash. A state's arrays are the values' bits
        (uint32 / uint64: view them as the log's dtype). `extra` (when asked): the step's
        decoded gradient and packed masks, or None."""
        first = self.start if first is None else first
        last = self.last if last is None else last
        if first not in self.keyframes:
            if first == self.start == self.last:
                return  # a run killed before its first keyframe: no state yet
            raise WeftUsageError(f"no keyframe of step {first}")
        chain = self.replayable
        # R5: the keyframe a walk starts from is checked by the step after it, when there is one
        stop = max(last, first + 1) if chain else last
        stop = min(stop, self.last)
        per_step = self.width * (3 * self.total if self.mode == "full" else self.total) + self.mask_bytes
        chunk = max(1, CHUNK_BYTES // max(1, per_step))
        state = None
        n = first + 1
        while state is None or n <= stop:
            end = min(stop, n + chunk - 1)
            b = Blocks()
            if state is None:  # the first keyframe decodes with the first steps: one pass
                kf = self._keyframe_blocks(first, b)
            jobs = {}
            for s in range(n, end + 1):
                r = self.steps[s]
                job = {}
                if chain and self.mode == "full":
                    job["arrays"] = [FloatBlock(r[key], self.counts[key], self.width, self._fail("step", s, key)) for key in ("params", "m", "v")]
                # every array a step holds decodes, whether or not it is asked for
                if r["grads"] is not None:
                    job["grads"] = FloatBlock(r["grads"], self.total, self.width, self._fail("step", s, "grads"))
                if r["masks"] is not None:
                    job["masks"] = np.empty(self.mask_bytes, np.uint8)
                    b.add(r["masks"], self.mask_bytes, job["masks"], self._fail("step", s, "masks"))
                for fb in job.get("arrays", []) + ([job["grads"]] if "grads" in job else []):
                    fb.add_to(b)
                if s in self.keyframes:
                    job["keyframe"] = self._keyframe_blocks(s, b)
                jobs[s] = job
            b.run()
            if state is None:
                state = self._keyframe_state(first, kf)
                yield first, state, None
            for s in range(n, end + 1):
                job = jobs.pop(s)
                r = self.steps[s]
                grads = job["grads"].bits() if "grads" in job else None
                if chain:
                    state = self._apply(s, r, state, job, grads)
                    got = state_hash(s, state["optimT"], state["params"], state["m"], state["v"])
                    if got != r["stateHash"]:
                        origin = f" (or the keyframe of step {first}, which it starts from)" if s == first + 1 else ""
                        raise self._corrupt(self._step_frames[s], f"step {s}: the state rebuilt from step {s - 1} hashes to {got}, the record says {r['stateHash']}{origin}")
                if "keyframe" in job:
                    kstate = self._keyframe_state(s, job["keyframe"])
                    if not chain:
                        state = kstate
                if s <= last and (chain or "keyframe" in job):
                    yield s, state, ({"grads": grads, "masks": job.get("masks")} if extras else None)
                elif extras and s <= last:
                    yield s, None, {"grads": grads, "masks": job.get("masks")}
            n = end + 1

    def _apply(self, s, r, state, job, grads):
        if self.mode == "full":
            params, m, v = (fb.bits(state[key]) for fb, key in zip(job["arrays"], ("params", "m", "v")))
            return {"params": params, "m": m, "v": v, "optimT": r["optimT"]}
        h = self.header
        t = state["optimT"] + 1
        f64 = lambda bits: bits.view(self.dtype).astype(np.float64)
        step = OPTIMIZERS[h["config"]["optim"]["kind"]]
        p, m, v = step(h["config"]["optim"], scalar(r["lr"]), t, f64(state["params"]), f64(grads), f64(state["m"]), f64(state["v"]), self.dtype)
        kind = "<u4" if self.width == 4 else "<u8"
        bits = lambda a: np.ascontiguousarray(a, dtype=self.dtype).view(kind)
        return {"params": bits(p), "m": bits(m), "v": bits(v), "optimT": t}

    def check(self):
        """Checks every state the log holds (keyframes and step hashes); returns the steps checked."""
        return sum(1 for _ in self.walk())

    def state_at(self, n):
        """The state after step n — from the keyframe before it and the steps between (full logs;
        compact logs through weft's optimizer) — its hash checked against the log."""
        if not isinstance(n, int) or n < self.start or n > self.last:
            raise WeftUsageError(f"step {n} is outside this log, which holds steps {self.start}…{self.last}")
        before = max(k for k in self.keyframes if k <= n)
        if n != before and not self.replayable:
            raise WeftUsageError(f"step {n} of a {self.mode} log: only its keyframes ({sorted(self.keyframes)}) hold a state this reader rebuilds; weft replay rebuilds the others")
        for s, state, _ in self.walk(before, n):
            if s == n:
                return {"params": state["params"].view(self.dtype), "m": state["m"].view(self.dtype), "v": state["v"].view(self.dtype), "optimT": state["optimT"]}
        raise WeftUsageError(f"no state for step {n}")


# ---- the command ----------------------------------------------------------------------------------

def _json_rows(log):
    full = log.mode == "full"
    rows = []
    for n, state, extra in log.walk(extras=True):
        if n == log.start:
            continue
        r = log.steps[n]
        row = {"step": n, "loss": scalar(r["loss"]), "lr": scalar(r["lr"]), "gradNormGlobal": scalar(r["gradNormGlobal"]), "clipFactor": scalar(r["clipFactor"]),
               "gradNormPerLayer": digest(np.frombuffer(r["gradNormPerLayer"], "<f8")), "inputs": digest(np.frombuffer(r["inputs"], "<i4")), "stateHash": r["stateHash"]}
        if extra["masks"] is not None:
            row["masks"] = digest(np.unpackbits(extra["masks"], bitorder="little")[:len(log.header["dropoutSites"]) * log.header["maskElements"]])
        if extra["grads"] is not None:
            row["grads"] = digest(extra["grads"])
        if full:
            row["params"] = digest(state["params"])
        rows.append(row)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description="Read and check a .weft log (docs/format.md).")
    ap.add_argument("log")
    ap.add_argument("--json", action="store_true", help="every step's scalars and its decoded arrays' hashes, as JSON")
    ap.add_argument("--npz", help="write the state after --step to this .npz file")
    ap.add_argument("--step", type=int)
    a = ap.parse_args(argv)
    if a.npz and a.step is None:
        ap.error("--npz needs --step")
    try:
        log = WeftLog(a.log)
        if a.npz:
            if not (log.start <= a.step <= log.last):
                raise WeftUsageError(f"no step {a.step} (the log holds steps {log.start}…{log.last})")
            if a.step not in log.keyframes and not log.replayable:
                raise WeftUsageError(f"step {a.step} of a {log.mode} log: only its keyframes ({sorted(log.keyframes)}) hold a state this reader rebuilds; weft replay rebuilds the others")
            kept = None
            for n, state, _ in log.walk():  # the whole log is checked before anything is written
                if n == a.step:
                    kept = state
            np.savez(a.npz, params=kept["params"].view(log.dtype), m=kept["m"].view(log.dtype), v=kept["v"].view(log.dtype), optimT=kept["optimT"])
            return 0
        if a.json:
            out = {"scenario": log.header["scenario"], "mode": log.mode, "steps": _json_rows(log), "evaluations": log.evaluations()}
            json.dump(out, sys.stdout)
            sys.stdout.write("\n")
            return 0
        checked = log.check()
        h = log.header
        print(f"{a.log}: {h['scenario']}, format {h['format']}, weft {h['weft']}, {h['mode']} log, steps {log.start + 1 if log.last > log.start else log.start}…{log.last}")
        print(f"  {len(h['params'])} tensors, {log.total} parameters ({h['dtype']}), keyframes at {sorted(log.keyframes)}")
        print(f"  checked: {len(log.frames)} records ({'and the index' if log.indexed else 'no index: a killed run'}), {checked} states"
              + (f"; a torn tail of {log.torn_tail_bytes} bytes dropped" if log.torn_tail_bytes else ""))
        for what in log.unchecked():
            print(f"  not checked: {what}")
        return 0
    except WeftFormatError as e:
        print(f"weft_read: {a.log}: {e}", file=sys.stderr)
        return e.exit_code
    except FileNotFoundError:
        print(f"weft_read: {a.log}: no such file", file=sys.stderr)
        return 2
    except IsADirectoryError:
        print(f"weft_read: {a.log}: is a directory, not a log", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"weft_read: {a.log}: cannot read ({e.strerror or e})", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"weft_read: {a.log}: not enough memory to read it", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
