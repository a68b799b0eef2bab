// Model and image files from someone else (issue 15, item 3): the safetensors reader checks a
// header's claims against the file before allocating (2^40 elements is an error, not an
// allocation), and random or mutated files end in the reader's own error or a valid result, never a
// crash, a hang or an allocation beyond the file; PNG/JPEG decoding of mutated files likewise ends
// in one "corrupt PNG/JPEG" error; JSON configs with "__proto__" keys pollute no prototype.
// The fuzz runs use a fixed seed; BAS_FUZZ_RUNS=N runs N cases per property instead of 200.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../core/index.js';
import { decodeJpeg, decodePng, encodePng } from '../../bas/io/index.js';
import { loadModel } from '../../bas/model.js';
import { deserialize, serialize } from '../../nn/safetensors.js';
import { writeTinyModel } from '../helpers/tiny_model.js';

const RUNS = Number(process.env['BAS_FUZZ_RUNS'] ?? 200);
const SEED = 15;
const root = mkdtempSync(join(tmpdir(), 'bas-untrusted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A safetensors file: 8-byte length, the header (an object, or its JSON text), `data` bytes. */
function file(header: unknown, dataBytes: number): Uint8Array {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + text.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
}

/** Runs the reader: ok, or its own error (message "safetensors <buffer>: ..."); anything else fails the property. */
function readsOrRefuses(bytes: Uint8Array): void {
  let tensors: Record<string, { size: number; data: { byteLength: number } }>;
  try {
    tensors = deserialize(bytes).tensors;
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^safetensors <buffer>: /);
    return;
  }
  // what it allocated is bounded by the file (widened F16/BF16 at most doubles)
  const total = Object.values(tensors).reduce((s, t) => s + t.data.byteLength, 0);
  expect(total).toBeLessThanOrEqual(2 * bytes.length);
  expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
}

describe('safetensors headers that lie', () => {
  it('claims of 2^40 elements, 2^60 header bytes, overlapping ranges and a "__proto__" tensor are errors before any allocation', () => {
    expect(() => deserialize(file({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } }, 16))).toThrow(/run past the 16 data bytes/);
    expect(() => deserialize(file({ w: { dtype: 'F32', shape: [2 ** 40], data_offsets: [0, 16] } }, 16))).toThrow(/shape \[1099511627776\] of F32 needs 4398046511104 bytes, data_offsets give 16/);
    expect(() => deserialize(file({ w: { dtype: 'F64', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 8] } }, 8))).toThrow(/needs .* bytes, data_offsets give 8/);
    const huge = file({}, 0);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(() => deserialize(huge)).toThrow(/header length 1152921504606846976 runs past the end of the file/);
    expect(() => deserialize(file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12))).toThrow(/overlap the previous tensor/);
    // as JSON text: an object literal's __proto__ would set a prototype, not make a key
    const bytes = file('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', 4);
    expect(() => deserialize(bytes)).toThrow(/tensor "__proto__": this name is not allowed/);
  });

  it('fuzz: random bytes, random headers, and mutations of a valid file end in the reader\'s own error or a bounded result', () => {
    const valid = serialize({ a: tensor(new Float32Array([1, 2, 3]), { shape: [3] }), b: tensor(new Float64Array([4, 5]), { shape: [2] }) }, { k: 'v' });
    const dim = fc.oneof(fc.nat(8), fc.constantFrom(2 ** 20, 2 ** 31, 2 ** 40, 2 ** 53, -1, 1.5));
    const entry = fc.record({
      dtype: fc.constantFrom('F32', 'F64', 'F16', 'BF16', 'I64', 'X', 7),
      shape: fc.array(dim, { maxLength: 4 }),
      data_offsets: fc.array(fc.oneof(fc.nat(64), fc.constantFrom(2 ** 42, 2 ** 53, -8)), { minLength: 0, maxLength: 3 }),
    });
    const header = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', '__metadata__', 'constructor')), entry, { maxKeys: 4 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), (b) => readsOrRefuses(b)), { seed: SEED, numRuns: RUNS });
    fc.assert(fc.property(header, fc.nat(128), (h, n) => readsOrRefuses(file(h, n))), { seed: SEED, numRuns: RUNS });
    const mutation = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(mutation, fc.nat(valid.length), (edits, cut) => {
        const b = valid.slice(0, Math.max(cut, valid.length - 8));
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        readsOrRefuses(b);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(Object.prototype).not.toHaveProperty('dtype');
  });
});

describe('PNG and JPEG decoding of mutated files', () => {
  function decodesOrRefuses(decode: (b: Uint8Array, p: string) => { width: number; height: number; rgba: Uint8Array }, bytes: Uint8Array, kind: string): void {
    let img;
    try {
      img = decode(bytes, 'x');
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message.startsWith(`corrupt ${kind}: x: `)).toBe(true);
      return;
    }
    expect(img.rgba.length).toBe(img.width * img.height * 4);
  }
  // copies: a Buffer's slice() shares its memory, so mutations would pile up in the original
  const png = new Uint8Array(encodePng({ width: 6, height: 5, rgb: new Uint8Array(90).map((_, i) => i * 7) }));
  const jpg = new Uint8Array(jpeg.encode({ data: new Uint8Array(6 * 5 * 4).map((_, i) => i * 3), width: 6, height: 5 }, 80).data);
  const mutations = (n: number): fc.Arbitrary<[number, number][]> => fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });

  it('fuzz: every mutation decodes to a consistent image or ends in one "corrupt PNG/JPEG" error', () => {
    for (const [bytes, decode, kind] of [[png, decodePng, 'PNG'], [jpg, decodeJpeg, 'JPEG']] as const) {
      fc.assert(
        fc.property(mutations(bytes.length), fc.nat(bytes.length), (edits, cut) => {
          const b = bytes.slice(0, Math.max(cut, 8));
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          decodesOrRefuses(decode, b, kind);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
  });

  it('a header claiming a 100000x100000 image is refused before its pixels are allocated', () => {
    const b = png.slice();
    const view = new DataView(b.buffer);
    view.setUint32(16, 100000);
    view.setUint32(20, 100000);
    expect(() => decodePng(b, 'big.png')).toThrow('corrupt PNG: big.png: 100000x100000 is over the 50-megapixel limit');
    // JPEG: the frame header's height and width (SOF0, after FFC0 and 3 bytes)
    const j = jpg.slice();
    const sof = j.findIndex((v, i) => v === 0xff && j[i + 1] === 0xc0);
    new DataView(j.buffer).setUint16(sof + 5, 60000);
    new DataView(j.buffer).setUint16(sof + 7, 60000);
    expect(() => decodeJpeg(j, 'big.jpg')).toThrow(/^corrupt JPEG: big\.jpg: maxResolutionInMP limit exceeded/);
  });
});

describe('JSON configs with "__proto__" keys', () => {
  it('a model folder whose configs, vocabulary and index carry "__proto__" loads without polluting any prototype', () => {
    const dir = join(root, 'proto-model');
    cpSync(writeTinyModel(join(root, 'clean-model')), dir, { recursive: true });
    const inject = (rel: string): void => {
      const path = join(dir, rel);
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.replace('{', '{"__proto__": {"polluted": true, "sample_size": 64, "model_max_length": 1000000}, '));
    };
    for (const rel of ['model_index.json', 'unet/config.json', 'text_encoder/config.json', 'scheduler/scheduler_config.json', 'tokenizer/tokenizer_config.json', 'tokenizer/vocab.json']) inject(rel);
    let error: unknown = null;
    let sample_size: number | null | undefined;
    try {
      sample_size = loadModel(dir).unet.config.sample_size;
    } catch (e) {
      error = e;
    }
    // loading may refuse the file (one clear error) or take it; either way nothing is polluted
    if (error !== null) expect((error as Error).message).toMatch(/cannot load the model at|\.json/);
    else expect(sample_size).toBe(8);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('sample_size');
  });
});
