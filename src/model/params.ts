import type { Activation } from '../kernels/types.ts';

export interface ModelConfig {
  /** the architecture (model/model.ts): gpt unless said */
  arch: string;
  nLayers: number;
  nHeads: number;
  dModel: number;
  dFF: number;
  /** Resolved vocabulary size V (the engine fills it from the corpus when the scenario says 0). */
  vocabSize: number;
  contextLength: number;
  residual: boolean;
  layerNorm: boolean;
  dropout: number;
  activation: Activation;
  initStd: number;
  /** `normal`: every weight N(0, initStd); `gpt2`: residual projections N(0, initStd/√(2·nLayers)). */
  initScheme: 'normal' | 'gpt2';
  /** biases in every Linear and LayerNorm (false: nanoGPT's bias=False) */
  bias: boolean;
  /** the MLP sublayer of each block (false: attention-only) */
  mlp: boolean;
  /** learned positional embeddings pos_emb (false: none; order comes from the causal mask alone) */
  posEmb: boolean;
  /** the head's weight is tok_emb's (nanoGPT's weight tying); false: a head.weight of its own */
  tieEmbeddings: boolean;
}
