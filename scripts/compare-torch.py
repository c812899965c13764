#!/usr/bin/env python3
"""Trains a weft run side by side in PyTorch, the usual yardstick, and compares step by step.

Usage:
  npx weft run baseline --set dtype=float64 --steps 10 --record full --out runs/f64.weft
  npx tsx scripts/torch-trace.ts runs/f64.weft runs/torch-trace
  /usr/bin/python3 scripts/compare-torch.py runs/torch-trace [more trace dirs...]

Needs Debian's python3-torch (with libopenblas0-pthread). Starts from weft's initial state (so
initialisation is not compared), feeds the same batches and dropout masks, and applies
torch.optim with weft's recorded learning rates. Prints per step the loss, the largest relative
difference of per-tensor gradient norms and the clip factor, then the final parameters' largest
relative difference, as JSON (for several trace dirs, a JSON array in their order: one torch
import for all, as the test compares many runs). Exit 1 when a difference exceeds the tolerance
for the dtype in any of them.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n])
    data = buf[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        dt = {"F32": "<f4", "F64": "<f8"}[t["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype=dt).reshape(t["shape"]).copy())
    return out


def compare(trace_dir):
    trace = json.load(open(f"{trace_dir}/trace.json"))
    cfg, m = trace["config"], trace["config"]["model"]
    dtype = torch.float64 if cfg["dtype"] == "float64" else torch.float32
    init = read_safetensors(f"{trace_dir}/initial.safetensors")
    final = read_safetensors(f"{trace_dir}/final.safetensors")
    names = [p["name"] for p in trace["params"]]
    P = {n: init[n].to(dtype).clone().requires_grad_(True) for n in names}
    L, H, C = m["nLayers"], m["nHeads"], m["dModel"]
    hd = C // H
    B, T = cfg["data"]["batchSize"], m["contextLength"]
    p_drop = m["dropout"]
    act = {"gelu": lambda x: F.gelu(x, approximate="tanh"), "relu": F.relu, "tanh": torch.tanh}[m["activation"]]

    # the toggles keys a log written before them leaves out mean what weft did then
    bias, mlp, pos_emb, tied = m.get("bias", True), m.get("mlp", True), m.get("posEmb", True), m.get("tieEmbeddings", False)
    rms = m.get("arch", "gpt") == "gpt-rms"

    def opt_p(name):
        return P[name] if bias else None

    def ln(x, pre):
        if not m["layerNorm"]:
            return x
        if rms:
            # torch.nn.RMSNorm(C, eps=1e-5) (torch >= 2.4) is this expression; written out for older torch
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * P[f"{pre}.weight"]
        return F.layer_norm(x, (C,), P[f"{pre}.weight"], opt_p(f"{pre}.bias"), eps=1e-5)

    def linear(x, name, weight=None):
        return F.linear(x, P[f"{name}.weight"] if weight is None else weight, opt_p(f"{name}.bias"))

    def drop(x, masks, site):
        if masks is None or p_drop == 0:
            return x
        keep = torch.tensor([c == "1" for c in masks[site]], dtype=torch.bool).view_as(x)
        return torch.where(keep, x / (1 - p_drop), torch.zeros_like(x))

    def forward(idx, tgt, masks):
        x = P["tok_emb.weight"][idx]
        if pos_emb:
            x = x + P["pos_emb.weight"][torch.arange(T)]
        x = drop(x, masks, "emb")
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        for i in range(L):
            b = f"blocks.{i}"
            h = ln(x, f"{b}.ln1")
            qkv = linear(h, f"{b}.attn.qkv")
            q, k, v = qkv.split(C, dim=-1)
            q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
            s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
            a = torch.softmax(s.masked_fill(~causal, float("-inf")), dim=-1)
            y = (a @ v).transpose(1, 2).reshape(B, T, C)
            y = drop(linear(y, f"{b}.attn.proj"), masks, f"{b}.attn")
            x = x + y if m["residual"] else y
            if not mlp:
                continue
            h = ln(x, f"{b}.ln2")
            f = act(linear(h, f"{b}.mlp.fc"))
            f = drop(linear(f, f"{b}.mlp.proj"), masks, f"{b}.mlp")
            x = x + f if m["residual"] else f
        # tied as nanoGPT's lm_head.weight = wte.weight: one tensor, its gradient summed by autograd
        logits = linear(ln(x, "ln_f"), "head", P["tok_emb.weight"] if tied else None)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), tgt.view(-1))

    o = cfg["optim"]
    params = [P[n] for n in names]
    if o["kind"] == "sgd":
        opt = torch.optim.SGD(params, lr=o["lr"], weight_decay=o["weightDecay"], foreach=False)
    elif o["kind"] == "momentum":
        opt = torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], weight_decay=o["weightDecay"], foreach=False)
    else:
        cls = torch.optim.Adam if o["kind"] == "adam" else torch.optim.AdamW
        opt = cls(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"], foreach=False)

    tol = 1e-9 if dtype == torch.float64 else 1e-4
    # float32: Adam's first steps move a weight by ±lr whatever the size of its gradient, so an
    # entry whose gradient is float32 rounding noise moves either way in either implementation
    # (weft's f64acc mode with float32 storage differs from torch by 8e-5 this way too)
    tol_params = tol if dtype == torch.float64 else 1e-3
    rows, worst = [], 0.0
    for st in trace["steps"]:
        idx = torch.tensor(st["inputs"]).view(B, T)
        tgt = torch.tensor(st["targets"]).view(B, T)
        opt.zero_grad()
        loss = forward(idx, tgt, st["masks"])
        loss.backward()
        g_rel = max(abs(P[n].grad.norm().item() - st["gradNorm"][n]) / max(st["gradNorm"][n], 1e-30) for n in names)
        clip = 1.0
        if cfg["clip"]["maxNorm"] > 0:
            total = torch.nn.utils.clip_grad_norm_(params, cfg["clip"]["maxNorm"]).item()
            clip = min(1.0, cfg["clip"]["maxNorm"] / (total + 1e-6))
        for g in opt.param_groups:
            g["lr"] = st["lr"]
        opt.step()
        loss_rel = abs(loss.item() - st["loss"]) / abs(st["loss"])
        rows.append({"step": st["step"], "lossWeft": st["loss"], "lossTorch": loss.item(), "lossRelDiff": loss_rel, "gradNormMaxRelDiff": g_rel, "clipFactorDiff": abs(clip - st["clipFactor"])})
        worst = max(worst, loss_rel, g_rel)
    p_rel = max(((P[n].detach() - final[n].to(dtype)).norm() / final[n].to(dtype).norm()).item() for n in names)
    ok = worst <= tol and p_rel <= tol_params
    return {"torch": torch.__version__, "dtype": str(dtype), "steps": rows, "finalParamsMaxRelDiff": p_rel, "tolerance": tol, "paramsTolerance": tol_params, "ok": ok}


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    results = [compare(d) for d in sys.argv[1:]]
    print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    sys.exit(0 if all(r["ok"] for r in results) else 1)
