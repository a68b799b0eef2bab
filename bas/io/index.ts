// Image and mask I/O: PNG/JPEG decoding, atomic PNG writing, resizing, tensor conversion and
// Break-A-Scene instance folders.
export { readImage, decodePng, decodeJpeg, imageKind, type ImageKind } from './image.js';
export { rgbaImagesOf, rgbaToRgb, rgbImagesOf, rgbToRgba, type GrayImage, type Pixels, type RgbaImage, type RgbImage } from './pixels.js';
export { writePng, encodePng } from './png.js';
export { writeImage, encodeJpeg, JPEG_QUALITY } from './write_image.js';
export { resizeImage, resizeNearest, resizePlanes, resizeNearestChannel, toPlanes, type FloatPlanes } from './resize.js';
export { imageToTensor, maskToTensor, tensorToImage } from './tensor.js';
export { loadInstanceFolder, type InstanceFolder, type LoadInstanceOptions } from './instance.js';
