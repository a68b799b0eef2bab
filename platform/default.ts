// The platform a process starts with in Node. A browser bundle gets default_browser.ts instead:
// package.json's "browser" field maps this file to that one.
export { nodePlatform as defaultPlatform } from './node/index.js';
