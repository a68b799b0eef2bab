// Parameter-free activations as modules (torch.nn.SiLU, torch.nn.GELU, CLIP's QuickGELU).
import { gelu, quick_gelu, silu, type Tensor } from '../../core/index.js';
import { Module } from '../module.js';

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
}

/** x * sigmoid(1.702 x), CLIP's activation. */
export class QuickGELU extends Module {
  forward(x: Tensor): Tensor {
    return quick_gelu(x);
  }
}

export type ActivationName = 'silu' | 'swish' | 'gelu' | 'quick_gelu';

/** The activation function by its config name (diffusers' act_fn, transformers' hidden_act). */
export function activationFn(name: ActivationName): (x: Tensor) => Tensor {
  switch (name) {
    case 'silu':
    case 'swish':
      return silu;
    case 'gelu':
      return (x) => gelu(x, 'none');
    case 'quick_gelu':
      return quick_gelu;
    default:
      throw new Error(`unknown activation "${String(name)}"`);
  }
}
