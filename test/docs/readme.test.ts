// The README's TypeScript examples run as written: each ```ts block is executed with tsx from the
// repository root, and the values its comments promise are checked against what it prints.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/environment.js';

const blocks = [...readFileSync(join(repoRoot, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README examples', () => {
  it('has TypeScript examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs`, () => {
      const dir = mkdtempSync(join(repoRoot, 'node_modules', '.readme-'));
      try {
        // imports are written relative to the repository root
        const file = join(dir, 'example.ts');
        writeFileSync(file, code.replaceAll("from './", `from '${repoRoot}/`));
        const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, encoding: 'utf8' });
        expect(out.length).toBeGreaterThan(0);
        if (code.includes('1687075')) {
          expect(out).toContain('1687075');
          expect(out).toContain("'mid_block.attentions.0.transformer_blocks.0.attn2.processor'");
          expect(out).toMatch(/\[ 2, 3, 32, 32 \] 14/);
        }
        if (code.includes('gradcheck(')) expect(out).toMatch(/^ok \(full, 258 entries/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
