/**
 * Language modelling's examples from one token stream: non-overlapping windows of T+1 tokens —
 * window i starts at token i·T, its T inputs and the T next tokens as targets (so neighbouring
 * windows share their boundary token). The corpus, text and token-file kinds all cut so.
 */
export function windowCount(tokens: ArrayLike<number>, T: number): number {
  return Math.floor((tokens.length - 1) / T);
}

/** Window i of `tokens` into one row of a batch: every target counts. */
export function writeWindow(tokens: ArrayLike<number>, T: number, i: number, inputs: Int32Array, targets: Int32Array): void {
  const start = i * T;
  for (let t = 0; t < T; t++) {
    inputs[t] = tokens[start + t];
    targets[t] = tokens[start + t + 1];
  }
}
