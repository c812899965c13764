#!/usr/bin/env python3
"""Reads a .weft log into Python: records as dicts, float arrays as numpy arrays.

Written from docs/format.md alone, with the standard library, numpy and msgpack (Debian:
python3-numpy, python3-msgpack). A test (tests/log/python-reader.test.ts) checks it against
weft's own reader.

    python3 scripts/weft_read.py LOG              a summary of the log
    python3 scripts/weft_read.py LOG --json       every step's scalars and its arrays' hashes
    python3 scripts/weft_read.py LOG --npz OUT --step N
                                                  the state after step N (full logs and keyframes) as .npz

As a module:

    log = WeftLog("runs/baseline.weft")
    log.header["params"]                # the parameter table
    log.step(3)["loss"]                 # a step's record, scalars as floats, arrays decoded
    state = log.state_at(3)             # {"params", "m", "v", "optimT"} (full logs; keyframes)
    log.tensor(state["params"], "blocks.3.attn.qkv.weight")   # one tensor, in its shape
"""
import argparse
import hashlib
import json
import struct
import sys
import zlib

import msgpack
import numpy as np

FILE_MAGIC = b"WEFTLOG\n"
TRAILER_MAGIC = b"WEFTIDX\n"
FORMAT_VERSION = 2  # 2: logs with attention probes (records of kind "probe")
SCALE_BITS = 14
RANS_L = 1 << 23


class WeftFormatError(Exception):
    """The file is not a weft log this reader understands, or it is corrupt (with the offset)."""


# ---- frames ---------------------------------------------------------------------------------

def read_frames(data):
    """(offset, record) for every complete frame, checksums verified; a torn tail is dropped."""
    if data[:8] != FILE_MAGIC:
        raise WeftFormatError("not a weft log (no WEFTLOG magic at byte 0)")
    (version,) = struct.unpack_from("<I", data, 8)
    if version > FORMAT_VERSION:
        raise WeftFormatError(f"format version {version} is newer than this reader ({FORMAT_VERSION})")
    frames = []
    offset = 16
    while offset + 8 <= len(data):
        if len(data) - offset == 16 and data[offset:offset + 8] == TRAILER_MAGIC:
            break
        length, crc = struct.unpack_from("<II", data, offset)
        if offset + 8 + length > len(data):
            break  # torn tail
        body = data[offset + 8:offset + 8 + length]
        if zlib.crc32(body) != crc:
            raise WeftFormatError(f"corrupt at byte {offset}: checksum mismatch")
        record = msgpack.unpackb(body, raw=False)
        if record.get("kind") != "index":
            frames.append((offset, record))
        offset += 8 + length
    return frames


# ---- rANS blocks --------------------------------------------------------------------------

def rans_decode(block, n):
    """The n bytes a block codes (docs/format.md, "rANS blocks")."""
    mode = block[0]
    if mode == 0:
        if len(block) != 1 + n:
            raise WeftFormatError("stored block of the wrong length")
        return bytes(block[1:])
    if mode == 2:
        return bytes([block[1]]) * n
    if mode != 1:
        raise WeftFormatError(f"unknown rANS block mode {mode}")
    freq = [0] * 256
    cum = [0] * 256
    o = 33
    total = 0
    for s in range(256):
        if block[1 + (s >> 3)] & (1 << (s & 7)):
            f = block[o]
            o += 1
            if f & 0x80:
                f = (f & 0x7F) | (block[o] << 7)
                o += 1
            freq[s] = f
            cum[s] = total
            total += f
    if total != 1 << SCALE_BITS:
        raise WeftFormatError("rANS frequencies do not sum to 2^14")
    slot_to_sym = bytearray(1 << SCALE_BITS)
    for s in range(256):
        slot_to_sym[cum[s]:cum[s] + freq[s]] = bytes([s]) * freq[s]
    x = list(struct.unpack_from("<II", block, o))
    o += 8
    out = bytearray(n)
    end = len(block)
    for i in range(n):
        j = i & 1
        xi = x[j]
        slot = xi & 0x3FFF
        s = slot_to_sym[slot]
        out[i] = s
        xi = freq[s] * (xi >> SCALE_BITS) + slot - cum[s]
        while xi < RANS_L:
            if o >= end:
                raise WeftFormatError("rANS stream ended early")
            xi = (xi << 8) | block[o]
            o += 1
        x[j] = xi
    if o != end or x[0] != RANS_L or x[1] != RANS_L:
        raise WeftFormatError("rANS stream has trailing data or a bad final state")
    return bytes(out)


# ---- float-array blocks -------------------------------------------------------------------

def decode_floats(block, ref=None, direction=1):
    """A float-array block as a numpy array; `ref` is the neighbouring step's array for a
    difference (direction +1: the step before; −1: the step after, to walk backwards)."""
    transform, width = block[0], block[1]
    count, k = struct.unpack_from("<II", block, 2)
    ends = struct.unpack_from(f"<{k}I", block, 10)
    o = 10 + 4 * k
    planes = np.zeros((width, count), dtype=np.uint8)
    for b in range(width):
        start = 0
        for e in ends:
            (length,) = struct.unpack_from("<I", block, o)
            planes[b, start:e] = np.frombuffer(rans_decode(block[o + 4:o + 4 + length], e - start), dtype=np.uint8)
            o += 4 + length
            start = e
    if o != len(block):
        raise WeftFormatError("array block has trailing bytes")
    words = planes.reshape(width // 4, 4, count).astype(np.uint32)
    z = words[:, 0] | (words[:, 1] << 8) | (words[:, 2] << 16) | (words[:, 3] << 24)  # (words per element, count)
    z = np.ascontiguousarray(z.T)  # element-major: low word, then high word
    dtype = np.float32 if width == 4 else np.float64
    if transform == 0:
        bits = z
    else:
        r = np.ascontiguousarray(ref, dtype=dtype).view(np.uint32).reshape(count, width // 4)
        if transform == 1:
            d = (z >> 1) ^ (np.uint32(0) - (z & 1))
            bits = r + d if direction == 1 else r - d  # uint32 arithmetic wraps mod 2^32
        elif transform == 2:
            bits = r ^ z
        else:
            raise WeftFormatError(f"unknown transform {transform}")
    return np.ascontiguousarray(bits, dtype=np.uint32).view(dtype).reshape(count)


def scalar(b):
    return struct.unpack("<d", b)[0]


def state_hash(step, optim_t, params, m, v):
    h = hashlib.sha256(struct.pack("<2d", step, optim_t))
    for a in (params, m, v):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:32]


# ---- the log ------------------------------------------------------------------------------

class WeftLog:
    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        self.frames = read_frames(data)
        if not self.frames or self.frames[0][1]["kind"] != "header":
            raise WeftFormatError("the first record is not a header")
        self.header = self.frames[0][1]
        self.steps = {r["step"]: r for _, r in self.frames if r["kind"] == "step"}
        self.keyframes = {r["step"]: r for _, r in self.frames if r["kind"] == "keyframe"}
        self.probes = {r["step"]: r for _, r in self.frames if r["kind"] == "probe"}
        self.dtype = np.float32 if self.header["dtype"] == "float32" else np.float64

    def step(self, n):
        """Step n's record: scalars as floats, norms and tokens as numpy arrays, masks by site."""
        r = dict(self.steps[n])
        for key in ("loss", "lr", "gradNormGlobal", "clipFactor"):
            r[key] = scalar(r[key])
        r["gradNormPerLayer"] = np.frombuffer(r["gradNormPerLayer"], dtype="<f8")
        r["gradNormPerTensor"] = np.frombuffer(r["gradNormPerTensor"], dtype="<f8")
        r["inputs"] = np.frombuffer(r["inputs"], dtype="<i4")
        r["targets"] = np.frombuffer(r["targets"], dtype="<i4")
        if r["masks"] is not None:
            r["masks"] = self.masks(r["masks"])
        if r["grads"] is not None:
            r["grads"] = decode_floats(r["grads"])
        return r

    def probe(self, n):
        """Step n's attention probes: per sentence its token ids and attention[layer, head, q, k]
        (zero above the diagonal, where a word cannot look)."""
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

    def masks(self, block):
        sites, per = self.header["dropoutSites"], self.header["maskElements"]
        bits = np.unpackbits(np.frombuffer(rans_decode(block, (len(sites) * per + 7) // 8), dtype=np.uint8), bitorder="little")
        return {site: bits[i * per:(i + 1) * per] for i, site in enumerate(sites)}

    def state_at(self, n):
        """The state after step n: a keyframe, or (full logs) the keyframe before it with the
        recorded differences applied. The result's hash is checked against the log."""
        before = max((k for k in self.keyframes if k <= n), default=None)
        if before is None:
            raise WeftFormatError(f"no keyframe at or before step {n}")
        kf = self.keyframes[before]
        params, m, v = (decode_floats(kf[key]) for key in ("params", "m", "v"))
        t = kf["optimT"]
        expected = kf["stateHash"]
        if n > before:
            if self.header["mode"] != "full":
                raise WeftFormatError(f"a {self.header['mode']} log rebuilds step {n} by running weft's optimizer; read a keyframe or a full log")
            for s in range(before + 1, n + 1):
                r = self.steps[s]
                params, m, v = (decode_floats(r[key], ref) for key, ref in (("params", params), ("m", m), ("v", v)))
                t = r["optimT"]
                expected = r["stateHash"]
        got = state_hash(n, t, params, m, v)
        if got != expected:
            raise WeftFormatError(f"the state rebuilt at step {n} hashes to {got}, the log records {expected}")
        return {"params": params, "m": m, "v": v, "optimT": t}

    def tensor(self, flat, name):
        for p in self.header["params"]:
            if p["name"] == name:
                return flat[p["offset"]:p["offset"] + p["size"]].reshape(p["shape"])
        raise KeyError(name)


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:32]


def main():
    ap = argparse.ArgumentParser(description="Read a .weft log (docs/format.md).")
    ap.add_argument("log")
    ap.add_argument("--json", action="store_true", help="every step's scalars and its decoded arrays' hashes, as JSON")
    ap.add_argument("--npz", help="write the state after --step to this .npz file")
    ap.add_argument("--step", type=int)
    a = ap.parse_args()
    try:
        log = WeftLog(a.log)
        if a.npz:
            if a.step is None:
                ap.error("--npz needs --step")
            s = log.state_at(a.step)
            np.savez(a.npz, params=s["params"], m=s["m"], v=s["v"], optimT=s["optimT"])
            return 0
        if a.json:
            out = {"scenario": log.header["scenario"], "mode": log.header["mode"], "steps": []}
            full = log.header["mode"] == "full"
            for n in sorted(log.steps):
                r = log.step(n)
                row = {"step": n, "loss": r["loss"], "lr": r["lr"], "gradNormGlobal": r["gradNormGlobal"], "clipFactor": r["clipFactor"],
                       "gradNormPerLayer": digest(r["gradNormPerLayer"]), "inputs": digest(r["inputs"]), "stateHash": r["stateHash"]}
                if r["masks"] is not None:
                    row["masks"] = digest(np.concatenate([r["masks"][s] for s in log.header["dropoutSites"]]))
                if r["grads"] is not None:
                    row["grads"] = digest(r["grads"])
                if full:
                    # the state rebuilt from the keyframe before, its hash checked against the log
                    row["params"] = digest(log.state_at(n)["params"])
                out["steps"].append(row)
            json.dump(out, sys.stdout)
            sys.stdout.write("\n")
            return 0
        h = log.header
        print(f"{a.log}: {h['scenario']}, format {h['format']}, weft {h['weft']}, {h['mode']} log, steps {min(log.steps, default=0)}…{max(log.steps, default=0)}")
        print(f"  {len(h['params'])} tensors, {sum(p['size'] for p in h['params'])} parameters ({h['dtype']}), keyframes at {sorted(log.keyframes)}")
        return 0
    except WeftFormatError as e:
        print(f"weft_read: {a.log}: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
