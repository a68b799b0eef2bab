// Issue 2's checklist: every differentiable op has a property-based gradient test. The table maps
// each op to the file whose `propGrad('<op>', ...)` covers it; the test below reads the test
// sources and fails if an op lacks one or the table points at the wrong file.
//
// | op                          | file                         | also checked there                               |
// |-----------------------------|------------------------------|--------------------------------------------------|
// | add sub mul div             | grad_elementwise.test.ts     | broadcast pairs, one side constant               |
// | neg pow exp log sqrt abs    | grad_elementwise.test.ts     | pow(x, 0) at 0; abs subgradient                   |
// | clamp                       | grad_elementwise.test.ts     | gradient passes at the bounds                    |
// | sigmoid tanh silu           | grad_elementwise.test.ts     | huge inputs finite                               |
// | gelu gelu_tanh quick_gelu   | grad_elementwise.test.ts     | known values (gelu(1) = 0.8413447460685429)      |
// | where masked_fill           | grad_elementwise.test.ts     | broadcast condition, no grad to filled places    |
// | sum mean                    | grad_reduce.test.ts          | empty tensors, keepdim, negative dims            |
// | max amax (and min amin)     | grad_reduce.test.ts          | ties: amax splits, max(dim) -> returned index    |
// | reshape                     | grad_movement.test.ts        | round trip, -1, empty                            |
// | permute transpose           | grad_movement.test.ts        | round trip through the inverse                   |
// | expand                      | grad_movement.test.ts        | -1 and new leading dims                          |
// | slice narrow flip           | grad_movement.test.ts        | steps, negative bounds vs Python slicing         |
// | index_select gather         | grad_movement.test.ts        | repeats accumulate, range errors                 |
// | cat stack chunk             | grad_movement.test.ts        | empty pieces, torch.chunk sizes                  |
// | matmul bmm linear           | grad_linalg.test.ts          | 1-D / 2-D / batched / broadcast vs naive loop     |
// | softmax log_softmax         | grad_nn.test.ts              | rows sum to 1, logits of 1000, = log(softmax)    |
// | embedding conv2d            | grad_nn.test.ts              | conv2d vs a naive loop (stride, padding)         |
// | pad_circular                | grad_nn.test.ts              | vs index arithmetic; circular conv equivariance  |
// | group_norm layer_norm       | grad_nn.test.ts              | vs a naive computation                           |
// | interpolate (nearest)       | grad_nn.test.ts              | indices 5->3, 3->7, float32 scale; backward      |
// | mse_loss dropout            | grad_nn.test.ts              | dropout with a seeded generator                  |
//
// Invariants: gradients accumulate (autograd.test.ts), no graph under no_grad (autograd.test.ts),
// reshape/permute round trips (grad_movement.test.ts), softmax rows sum to 1 (grad_nn.test.ts),
// gradcheck can fail (gradcheck.test.ts), seeded RNG golden values and statistics (random.test.ts),
// float32 vs float64 on the active backend (float32.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '../../core/index.js';

const TABLE: Record<string, string> = {
  add: 'grad_elementwise', sub: 'grad_elementwise', mul: 'grad_elementwise', div: 'grad_elementwise', neg: 'grad_elementwise', pow: 'grad_elementwise',
  exp: 'grad_elementwise', log: 'grad_elementwise', sqrt: 'grad_elementwise', abs: 'grad_elementwise', clamp: 'grad_elementwise', sigmoid: 'grad_elementwise',
  tanh: 'grad_elementwise', silu: 'grad_elementwise', gelu: 'grad_elementwise', gelu_tanh: 'grad_elementwise', quick_gelu: 'grad_elementwise',
  where: 'grad_elementwise', masked_fill: 'grad_elementwise',
  sum: 'grad_reduce', mean: 'grad_reduce', max: 'grad_reduce', amax: 'grad_reduce',
  reshape: 'grad_movement', permute: 'grad_movement', transpose: 'grad_movement', expand: 'grad_movement', slice: 'grad_movement', narrow: 'grad_movement',
  index_select: 'grad_movement', gather: 'grad_movement', cat: 'grad_movement', stack: 'grad_movement', chunk: 'grad_movement', flip: 'grad_movement',
  matmul: 'grad_linalg', matmul_nt: 'grad_linalg', bmm: 'grad_linalg', linear: 'grad_linalg',
  softmax: 'grad_nn', log_softmax: 'grad_nn', embedding: 'grad_nn', conv2d: 'grad_nn', pad_circular: 'grad_nn', group_norm: 'grad_nn', layer_norm: 'grad_nn', interpolate: 'grad_nn',
  mse_loss: 'grad_nn', dropout: 'grad_nn',
};

const here = dirname(fileURLToPath(import.meta.url));

/** op name -> files declaring `propGrad('<op>'`. */
function declared(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const f of readdirSync(here).filter((n) => n.endsWith('.test.ts'))) {
    const src = readFileSync(join(here, f), 'utf8');
    for (const m of src.matchAll(/propGrad\(\s*'([^']+)'/g)) {
      const list = found.get(m[1]!) ?? [];
      list.push(f.replace(/\.test\.ts$/, ''));
      found.set(m[1]!, list);
    }
  }
  return found;
}

describe("issue 2's op list", () => {
  it('every op has a property-based gradient test, in the file the table names', () => {
    const found = declared();
    const missing = Object.keys(TABLE).filter((op) => !found.has(op));
    expect(missing, 'ops without a propGrad test').toEqual([]);
    const misplaced = Object.entries(TABLE).filter(([op, file]) => !found.get(op)!.includes(file)).map(([op]) => op);
    expect(misplaced, 'ops whose test is not in the file the table names').toEqual([]);
  });

  it('every op of the table is a function the core exports', () => {
    const exported = core as unknown as Record<string, unknown>;
    // gelu_tanh is gelu(x, 'tanh')
    const notExported = Object.keys(TABLE).filter((op) => op !== 'gelu_tanh' && typeof exported[op] !== 'function');
    expect(notExported).toEqual([]);
  });
});
