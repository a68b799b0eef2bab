// torch.nn.Embedding: a lookup table (num_embeddings, embedding_dim).
import { embedding, get_default_dtype, type Generator, type Tensor } from '../../core/index.js';
import { generatorOf, Module, type ModuleOptions } from '../module.js';
import { normal } from './init.js';

export interface EmbeddingOptions extends ModuleOptions {
  /** Init std: torch uses 1; CLIP's text model uses 0.02 (initializer_range). */
  std?: number;
}

export class Embedding extends Module {
  private _weight: Tensor;
  readonly std: number;

  constructor(
    public num_embeddings: number,
    readonly embedding_dim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    this.std = opts.std ?? 1;
    const dtype = opts.dtype ?? get_default_dtype();
    this._weight = this.register_parameter('weight', normal([num_embeddings, embedding_dim], this.std, generatorOf(opts), dtype));
  }

  get weight(): Tensor {
    return this._weight;
  }

  /** ids: integer tensor or plain array of any shape -> ids.shape + [embedding_dim]. */
  forward(ids: Tensor | readonly number[]): Tensor {
    return embedding(ids, this._weight);
  }

  /**
   * Grows or shrinks the table to `n` rows: old rows are kept, new ones drawn N(0, std^2). The
   * weight becomes a new tensor (optimizers over the old one must be rebuilt, as in torch).
   */
  resize(n: number, generator?: Generator): Tensor {
    const old = this._weight;
    const fresh = normal([n, this.embedding_dim], this.std, generator ?? generatorOf({}), old.dtype);
    const keep = Math.min(n, this.num_embeddings) * this.embedding_dim;
    fresh.data.set(old.data.subarray(0, keep));
    this._weight = this.register_parameter('weight', fresh);
    this._weight.requires_grad = old.requires_grad;
    this.num_embeddings = n;
    return this._weight;
  }
}
