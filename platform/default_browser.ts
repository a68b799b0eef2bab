// The platform a browser bundle starts with (package.json's "browser" field maps default.ts here):
// Web Workers where this thread may block on them, in-memory files, and gpu.js's browser build,
// bundled and provided to every browser platform, for the gpujs backends (on the reader's own GPU
// through WebGL, or webasm).
import * as gpujs from 'gpu.js';
import { browserPlatform, provideModule } from './browser.js';
import type { Platform } from './platform.js';

provideModule('gpu.js', gpujs);

export function defaultPlatform(): Platform {
  return browserPlatform();
}
