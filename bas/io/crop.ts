// The centre square of an image, as diffusers' --center_crop takes it: the shorter side kept whole,
// the longer one trimmed equally at both ends (an odd pixel left over goes from the far end). An
// image and its masks cropped by the same box stay aligned pixel for pixel.
import type { RgbaImage } from './pixels.js';

export interface CropBox {
  left: number;
  top: number;
  side: number;
}

export function centerSquare(width: number, height: number): CropBox {
  const side = Math.min(width, height);
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), side };
}

export function cropRgba(img: RgbaImage, box: CropBox): RgbaImage {
  const { left, top, side } = box;
  if (left < 0 || top < 0 || left + side > img.width || top + side > img.height) {
    throw new RangeError(`crop ${side}x${side} at (${left}, ${top}) is outside a ${img.width}x${img.height} image`);
  }
  const rgba = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) rgba.set(img.rgba.subarray(((top + y) * img.width + left) * 4, ((top + y) * img.width + left + side) * 4), y * side * 4);
  return { width: side, height: side, rgba };
}
