// Range checks of a configuration's numeric fields, as a table (field -> range): each failure is
// an InputError naming the field and the value, so the CLI words it as the flag
// (`--lambda_attention must be >= 0, got -1`). NaN fails every range.
import { InputError } from './errors.js';

/** The ranges a numeric field can be held to. */
export type Range = 'at least 1' | '>= 0' | '> 0' | '[0, 1]' | '[0, 1)';

const HOLDS: Record<Range, (v: number) => boolean> = {
  'at least 1': (v) => v >= 1,
  '>= 0': (v) => v >= 0 && v < Infinity,
  '> 0': (v) => v > 0 && v < Infinity,
  '[0, 1]': (v) => v >= 0 && v <= 1,
  '[0, 1)': (v) => v >= 0 && v < 1,
};

function wording(range: Range): string {
  if (range === 'at least 1' || range === '>= 0' || range === '> 0') return `must be ${range}`;
  return `must be in ${range}`;
}

/**
 * Throws for the first field of `rules` whose value in `config` is out of its range; a field that
 * is unset (undefined) is skipped, as optional fields are.
 */
export function checkRanges<C extends object>(config: C, rules: Partial<Record<keyof C & string, Range>>): void {
  for (const [field, range] of Object.entries(rules) as [keyof C & string, Range][]) {
    const v = config[field] as unknown;
    if (v === undefined) continue;
    if (typeof v !== 'number' || !HOLDS[range](v)) throw new InputError((n) => `${n(field)} ${wording(range)}, got ${String(v)}`);
  }
}
