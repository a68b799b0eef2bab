// Node's Buffer for the browser bundle (esbuild `inject`): pngjs, and the library's PNG code that
// hands it bytes, use Buffer. 'buffer/' (with the slash) names the npm package, not Node's built-in.
export { Buffer } from 'buffer/';
