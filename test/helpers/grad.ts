// The one way the core suite declares a property-based gradient test: `propGrad(op, arb, body)`
// runs `body` (which calls gradcheck) on `runs` generated cases. The coverage test greps for
// `propGrad('op'` to prove every op of issue 2's list has one.
import fc from 'fast-check';
import { it } from 'vitest';

export const DEFAULT_RUNS = 25;

/** BAS_PROP_RUNS=500 soaks every property (for a deep run by hand, not for CI). */
const override = Number(process.env['BAS_PROP_RUNS'] ?? '');

export function propGrad<T>(op: string, arb: fc.Arbitrary<T>, body: (v: T) => void, runs = DEFAULT_RUNS): void {
  it(`gradcheck ${op}: analytic = numerical gradient on generated inputs`, () => {
    fc.assert(
      fc.property(arb, (v) => {
        body(v);
      }),
      { numRuns: override > 0 ? override : runs },
    );
  }, override > 0 ? 600_000 : undefined);
}
