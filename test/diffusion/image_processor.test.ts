import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../core/index.js';
import { denormalize, from_uint8_image, normalize, round_half_even, to_uint8_images } from '../../diffusion/index.js';

describe('image conversion', () => {
  it('maps [-1, 1] to 0..255 with clamping and numpy rounding, interleaved', () => {
    // (1, 3, 1, 2): pixel 0 = (-1, 0, 1), pixel 1 = (-2, 2, 1/255 - 1)
    const x = tensor([-1, -2, 0, 2, 1, 1 / 255 - 1], { shape: [1, 3, 1, 2], dtype: 'float64' });
    const [img] = to_uint8_images(x);
    expect(img!.width).toBe(2);
    expect(img!.height).toBe(1);
    expect(img!.channels).toBe(3);
    // 0 -> 127.5 -> 128 (half to even); 1/255 - 1 -> 0.5 -> 0
    expect([...img!.data]).toEqual([0, 128, 255, 0, 255, 0]);
    const [rgba] = to_uint8_images(x, 'rgba');
    expect([...rgba!.data]).toEqual([0, 128, 255, 255, 0, 255, 0, 255]);
  });

  it('repeats a grey channel and keeps a fourth channel as alpha', () => {
    const grey = tensor([1, -1], { shape: [1, 1, 1, 2] });
    expect([...to_uint8_images(grey)[0]!.data]).toEqual([255, 255, 255, 0, 0, 0]);
    const four = tensor([1, 1, 1, -1], { shape: [1, 4, 1, 1] });
    expect([...to_uint8_images(four, 'rgba')[0]!.data]).toEqual([255, 255, 255, 0]);
    expect([...to_uint8_images(four, 'rgb')[0]!.data]).toEqual([255, 255, 255]);
    expect(() => to_uint8_images(tensor([0, 0], { shape: [1, 2, 1, 1] }))).toThrow(/channels/);
    expect(() => to_uint8_images(tensor([0, 0, 0], { shape: [3, 1, 1] }))).toThrow(/N, C, H, W/);
  });

  it('round-trips bytes through from_uint8_image (x / 127.5 - 1) and back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (w, h, alpha, seed) => {
        const c = alpha ? 4 : 3;
        let s = seed;
        const data = Uint8Array.from({ length: w * h * c }, (_, i) => (alpha && i % 4 === 3 ? 255 : (s = (s * 1103515245 + 12345) >>> 0) % 256));
        const t = from_uint8_image({ width: w, height: h, channels: c, data });
        expect(t.shape).toEqual([1, 3, h, w]);
        expect([...to_uint8_images(t, alpha ? 'rgba' : 'rgb')[0]!.data]).toEqual([...data]);
      }),
      { numRuns: 50 },
    );
  });

  it('normalize and denormalize are inverse on [0, 1]; round_half_even is numpy round', () => {
    const x = tensor([0, 0.25, 1], { dtype: 'float64' });
    expect([...denormalize(normalize(x)).data]).toEqual([0, 0.25, 1]);
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(round_half_even)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });
});
