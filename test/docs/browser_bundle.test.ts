// The browser bundle (scripts/bundle_browser.ts): it builds with no Node built-in in it, and fails
// naming the import chain when one is; loaded in a bare `vm` context (no require, no process, no
// Buffer: only the web globals a browser has), it starts on the browser platform, and one forward
// pass of the tiny model, loaded from in-memory files, gives the same bytes as the same forward in
// Node, on the cpu backend and on gpujs-webasm (gpu.js's browser build in the bundle). Tolerance:
// none, bit-identical (same kernels, same V8); PNG encoding and decoding run through the bundled
// pngjs with the Buffer shim.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nodeLib from '../../browser/index.js';
import { saveModel } from '../../bas/model.js';
import { getPlatform, MemoryFiles, memoryPlatform, setPlatform } from '../../platform/index.js';
import { bundleBrowser, GLOBAL_NAME } from '../../scripts/bundle_browser.js';
import { tinyModel } from '../helpers/tiny_model.js';

/** The forward pass, as text, so Node and the bundle run the very same code on their `lib`. */
const FORWARD = `
lib.setBackend(backend);
const model = lib.loadModel('/model');
const enc = lib.encodePrompts(model, ['a photo of a red circle']);
const x = new lib.Generator(1).randn([1, 3, 8, 8]);
return lib.no_grad(() => model.unet.forward(x, [500], enc).sample).data;
`;

let code = '';
let bytes = 0;
let model: Record<string, Uint8Array> = {};
let ctx: vm.Context;

beforeAll(async () => {
  ({ code, bytes } = await bundleBrowser({ outfile: null }));
  // the tiny model's pipeline folder, written by the library itself onto in-memory files
  const mem = new MemoryFiles();
  const previous = setPlatform(memoryPlatform({ files: mem }));
  try {
    saveModel('/model', tinyModel(0));
  } finally {
    setPlatform(previous);
  }
  model = mem.snapshot('/model');
  // a browser's globals, not Node's: no require, process, Buffer, setImmediate
  ctx = vm.createContext({ console, TextEncoder, TextDecoder, setTimeout, clearTimeout, structuredClone, performance, queueMicrotask });
  vm.runInContext(code, ctx);
  // the files cross into the context as plain arrays, so the bundle sees its own realm's Uint8Arrays
  ctx['__files'] = Object.fromEntries(Object.entries(model).map(([k, v]) => [k, Array.from(v)]));
  vm.runInContext(`basTs.setPlatform(basTs.browserPlatform({ files: basTs.MemoryFiles.from(Object.fromEntries(Object.entries(__files).map(([k, v]) => [k, new Uint8Array(v)]))) }))`, ctx);
}, 300_000);

describe('the browser bundle', () => {
  it('builds without Node built-ins, defines the global, and starts on the browser platform', () => {
    expect(bytes).toBeGreaterThan(100_000);
    expect(code).toMatch(new RegExp(`^"use strict";\\nvar ${GLOBAL_NAME} = \\(\\(\\) => \\{`));
    expect(vm.runInContext('[typeof require, typeof process, typeof Buffer, typeof setImmediate].join()', ctx)).toBe('undefined,undefined,undefined,undefined');
    expect(Object.keys(model).sort()).toContain('/model/unet/diffusion_pytorch_model.safetensors');
    // the platform installed above replaced the default, which was the browser's own
    const fresh = vm.createContext({ TextEncoder, TextDecoder });
    vm.runInContext(code, fresh);
    expect(vm.runInContext('basTs.getPlatform().name + " " + basTs.getPlatform().files.listDir("/").length', fresh)).toBe('browser 0');
  });

  for (const backend of ['cpu', 'gpujs-webasm']) {
    it(`runs the tiny model's forward pass bit-identically to Node (${backend})`, () => {
      const inVm = vm.runInContext(`(function (lib, backend) {${FORWARD}})(basTs, ${JSON.stringify(backend)})`, ctx) as Float32Array;
      // Node: the same files on a memory platform, gpu.js from Node's own require
      const previous = setPlatform(memoryPlatform({ files: MemoryFiles.from(model), modules: { 'gpu.js': getPlatform().loadModule('gpu.js') } }));
      let inNode: Float32Array;
      try {
        inNode = new Function('lib', 'backend', FORWARD)(nodeLib, backend) as Float32Array;
      } finally {
        setPlatform(previous);
        nodeLib.setBackend('cpu');
      }
      expect(inVm.length).toBe(1 * 3 * 8 * 8);
      expect(Array.from(inVm).every(Number.isFinite)).toBe(true);
      expect(Buffer.from(inVm.buffer, inVm.byteOffset, inVm.byteLength).equals(Buffer.from(inNode.buffer, inNode.byteOffset, inNode.byteLength))).toBe(true);
    });
  }

  it('encodes and decodes PNGs through the bundled pngjs, from and to in-memory files', () => {
    const out = vm.runInContext(`(() => {
      const io = basTs.bas.io;
      const rgb = new Uint8Array(4 * 3 * 3).map((_, i) => (i * 37) % 256);
      basTs.getPlatform().files.mkdirp('/img');
      io.writePng('/img/a.png', { width: 4, height: 3, rgb });
      const back = io.readImage('/img/a.png');
      return JSON.stringify({ w: back.width, h: back.height, rgba: Array.from(back.rgba.slice(0, 8)) });
    })()`, ctx) as string;
    expect(JSON.parse(out)).toEqual({ w: 4, h: 3, rgba: [0, 37, 74, 255, 111, 148, 185, 255] });
  });
});

describe('the bundle check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bas-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails on a Node built-in, naming the import chain from the entry', async () => {
    const entry = join(dir, 'entry.ts');
    const nodePlatformFile = join(import.meta.dirname, '..', '..', 'platform', 'node', 'index.ts');
    writeFileSync(entry, `export { nodePlatform } from ${JSON.stringify(nodePlatformFile)};\n`);
    const err = await bundleBrowser({ entry, outfile: null }).then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/imports Node built-ins/);
    expect(err!.message).toMatch(/entry\.ts -> platform\/node\/index\.ts -> node:crypto/);
    expect(err!.message).toMatch(/platform\/node\/index\.ts -> platform\/node\/files\.ts -> node:fs/);
  });
});
