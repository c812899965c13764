import type { Optimizer } from './optimizer.ts';

/** torch.optim.SGD without momentum: d = g + wd·p; p −= lr·d. */
export const sgd: Optimizer = {
  kind: 'sgd',
  buffers: {},
  update(o, lr, params, grads) {
    const wd = o.weightDecay;
    for (let i = 0; i < params.length; i++) params[i] = params[i] - lr * (grads[i] + wd * params[i]);
  },
};

/**
 * torch.optim.SGD with momentum μ (nesterov=False, dampening=0): d = g + wd·p; buf = d on the
 * first step, else μ·buf + d; p −= lr·buf.
 */
export const momentum: Optimizer = {
  kind: 'momentum',
  buffers: { m: 'momentum' },
  update(o, lr, params, grads, s) {
    const n = params.length;
    const wd = o.weightDecay;
    const mu = o.momentum;
    const m = s.m;
    if (s.t === 1) for (let i = 0; i < n; i++) m[i] = grads[i] + wd * params[i];
    else for (let i = 0; i < n; i++) m[i] = mu * m[i] + (grads[i] + wd * params[i]);
    for (let i = 0; i < n; i++) params[i] = params[i] - lr * m[i];
  },
};
