#!/usr/bin/env python3
"""PyTorch's training speed on weft's reference model, the yardstick of scripts/bench.ts.

Usage: /usr/bin/python3 scripts/bench-torch.py '{"nLayers":12,"nHeads":8,"dModel":64,"dFF":256,
       "vocabSize":64,"contextLength":16,"batchSize":8,"steps":30,"threads":1}'

The same pre-LayerNorm GPT as weft (fused qkv, causal softmax attention, tanh-GELU MLP,
dropout 0.1 at the same sites), Adam lr 1e-3, global-norm clipping at 1.0, uniform random
tokens; float32 on the CPU with torch.set_num_threads(threads). Prints steps/s (a warm-up of 3
steps is not timed) as JSON.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, H, Fd, p):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.mlp_proj = nn.Linear(C, Fd), nn.Linear(Fd, C)
        self.H, self.p = H, p

    def forward(self, x, causal):
        B, T, C = x.shape
        hd = C // self.H
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=-1)
        q, k, v = (t.view(B, T, self.H, hd).transpose(1, 2) for t in (q, k, v))
        a = torch.softmax(((q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))).masked_fill(~causal, float("-inf")), dim=-1)
        y = (a @ v).transpose(1, 2).reshape(B, T, C)
        x = x + F.dropout(self.proj(y), self.p, self.training)
        h = F.gelu(self.fc(self.ln2(x)), approximate="tanh")
        return x + F.dropout(self.mlp_proj(h), self.p, self.training)


class GPT(nn.Module):
    def __init__(self, m, p):
        super().__init__()
        self.tok, self.pos = nn.Embedding(m["vocabSize"], m["dModel"]), nn.Embedding(m["contextLength"], m["dModel"])
        self.blocks = nn.ModuleList(Block(m["dModel"], m["nHeads"], m["dFF"], p) for _ in range(m["nLayers"]))
        self.ln_f, self.head = nn.LayerNorm(m["dModel"]), nn.Linear(m["dModel"], m["vocabSize"])
        self.p = p
        T = m["contextLength"]
        self.register_buffer("causal", torch.ones(T, T, dtype=torch.bool).tril())

    def forward(self, idx, tgt):
        T = idx.shape[1]
        x = F.dropout(self.tok(idx) + self.pos(torch.arange(T)), self.p, self.training)
        for b in self.blocks:
            x = b(x, self.causal)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), tgt.view(-1))


def main(spec):
    torch.manual_seed(1)
    torch.set_num_threads(spec["threads"])
    model = GPT(spec, 0.1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, T, V = spec["batchSize"], spec["contextLength"], spec["vocabSize"]

    def step():
        idx = torch.randint(0, V, (B, T))
        tgt = torch.randint(0, V, (B, T))
        opt.zero_grad(set_to_none=True)
        loss = model(idx, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(spec["steps"]):
        step()
    s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"torch": torch.__version__, "threads": spec["threads"], "parameters": params, "stepsPerSec": spec["steps"] / s}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(json.loads(sys.argv[1]))
