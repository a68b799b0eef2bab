// What the machine offers tests that need more than Node: a GL context (gpu.js headless-gl under
// Xvfb), a Chromium for the playground's browser tests, and the shared example scenes beside the repository. Where absent, such a test skips with
// a printed reason; in CI (BAS_REQUIRE_GL / BAS_REQUIRE_SHARED, set by scripts/test.sh) absence
// is a failure instead, so CI cannot pass by skipping them.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared example scenes (../shared/examples), or null with the reason printed. */
export function sharedExamplesDir(): string | null {
  const dir = resolve(repoRoot, '../shared/examples');
  if (existsSync(dir)) return dir;
  const reason = `shared examples not found at ${dir}`;
  if (process.env['BAS_REQUIRE_SHARED'] === '1') throw new Error(`${reason}, and BAS_REQUIRE_SHARED=1 (CI) requires them`);
  console.log(`skipping: ${reason}`);
  return null;
}

/** Debian's Chromium (never a downloaded browser), or null with the reason printed; BAS_REQUIRE_BROWSER=1 (CI) makes absence a failure. */
export function chromiumPath(path = process.env['BAS_CHROMIUM'] ?? '/usr/bin/chromium'): string | null {
  if (existsSync(path)) return path;
  const reason = `no Chromium at ${path} (apt-get install chromium, as scripts/setup.sh does)`;
  if (process.env['BAS_REQUIRE_BROWSER'] === '1') throw new Error(`${reason}, and BAS_REQUIRE_BROWSER=1 (CI) requires it`);
  console.log(`skipping browser tests: ${reason}`);
  return null;
}

/** Call with a probe that returns null when GL works or a reason string when it does not. */
export function glAvailable(probe: () => string | null): boolean {
  const reason = probe();
  if (reason === null) return true;
  if (process.env['BAS_REQUIRE_GL'] === '1') throw new Error(`GL required (BAS_REQUIRE_GL=1, CI) but unavailable: ${reason}`);
  console.log(`skipping GL tests: ${reason}`);
  return false;
}
