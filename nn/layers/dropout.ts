// torch.nn.Dropout: inverted dropout while training, identity in eval().
import { default_generator, dropout, type Generator, type Tensor } from '../../core/index.js';
import { Module } from '../module.js';

export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    /** The mask RNG; the training loop may point it at its own seeded generator. */
    public generator: Generator = default_generator,
  ) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`Dropout: p = ${p} is outside [0, 1]`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
