// The README's table of `bas train` flags is the one the flag specs make (scripts/flag_table.ts):
// a flag added, removed or re-defaulted without `npx tsx scripts/flag_table.ts --write` fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAIN_FLAGS } from '../../cli/train.js';
import { withTable } from '../../scripts/flag_table.js';
import { repoRoot } from '../helpers/environment.js';

describe('README: bas train flags', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

  it('lists every flag with its default, as cli/train.ts defines them', () => {
    expect(readme).toBe(withTable(readme));
    for (const name of Object.keys(TRAIN_FLAGS).filter((n) => n !== 'help')) expect(readme).toContain(`| \`--${name}`);
    expect(readme).toContain('| `--validation_steps N` | `100` |');
  });
});
