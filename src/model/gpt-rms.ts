import { ConfigError } from '../errors.ts';
import { gptArchitecture, type GptNorm } from './gpt.ts';

/**
 * `gpt-rms`: the reference GPT with RMSNorm in place of LayerNorm and no biases (as LLaMA-style
 * models). RMSNorm is torch.nn.RMSNorm(C, eps=1e-5): x·w / sqrt(mean(x²) + eps), a gain and no
 * bias, so its tensors are ln1.weight, ln2.weight and ln_f.weight. model.layerNorm false
 * leaves the norms out, as for gpt.
 */
const rmsNorm: GptNorm = {
  tensors: (pre, d) => [[`${pre}.weight`, [d]]],
  forward(t, pre, out, stats, inp, N, C) {
    const [w, wOff] = t.param(`${pre}.weight`);
    t.kernels.rmsnormForward(out, stats.rstd, inp, w, wOff, N, C);
  },
  backward(t, pre, dinp, dout, inp, stats, N, C) {
    const [w, wOff] = t.param(`${pre}.weight`);
    const [dw] = t.grad(`${pre}.weight`); // at the weight's offset, as every gradient
    t.kernels.rmsnormBackward(dinp, dw, wOff, dout, inp, w, stats.rstd, N, C);
  },
};

export const gptRms = gptArchitecture('gpt-rms', rmsNorm, (m) => {
  if (m.bias) throw new ConfigError('model.bias', 'gpt-rms has no biases: set model.bias false (or use model.arch gpt)');
});
