// Weight initialisers. All draw from a seeded Generator so `--seed` fixes the whole model.
import { numel, tensor, type DType, type Generator, type Shape, type Tensor } from '../../core/index.js';

const alloc = (dtype: DType, n: number): Float32Array | Float64Array => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

/** U(-bound, bound): torch's default for Linear/Conv2d (kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(fan_in)). */
export function uniform(shape: Shape, bound: number, generator: Generator, dtype: DType): Tensor {
  const d = alloc(dtype, numel(shape));
  for (let i = 0; i < d.length; i++) d[i] = (generator.random() * 2 - 1) * bound;
  return tensor(d, { dtype, shape });
}

/** N(0, std^2). */
export function normal(shape: Shape, std: number, generator: Generator, dtype: DType): Tensor {
  const d = alloc(dtype, numel(shape));
  for (let i = 0; i < d.length; i++) d[i] = generator.normal() * std;
  return tensor(d, { dtype, shape });
}

export function constant(shape: Shape, value: number, dtype: DType): Tensor {
  const d = alloc(dtype, numel(shape));
  d.fill(value);
  return tensor(d, { dtype, shape });
}
