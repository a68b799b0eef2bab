// The platform layer's public face: the Platform seam (platform.ts), in-memory files and the
// browser platform. The Node platform is imported by path (platform/node/index.ts) where wanted:
// it is the default in Node already.
export { files, getPlatform, setPlatform, type Platform, type Terminal } from './platform.js';
export { FileError, fileErrorCode, type FileErrorCode, type Files } from './files.js';
export { MemoryFiles, memoryPlatform, type FileData, type MemoryPlatformOptions } from './memory.js';
export { browserPlatform, provideModule, webWorkerThreads, type BrowserPlatformOptions } from './browser.js';
export { SINGLE_THREAD, type Threads, type WorkerHandle } from './threads.js';
export * as paths from './path.js';
