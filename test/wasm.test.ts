/** d2l's WebAssembly kernels are committed assembled (src/wasm.ts): they must match their .wat sources. */
import * as fs from 'node:fs';
import { generate, kernelSources } from '../src/wasm';

test.each(kernelSources().map(({ wat, module }) => [wat.replace(/.*\//, ''), wat, module]))(
  '%s is assembled in its -wasm.ts module (npm run wasm)',
  async (_, wat, module) => {
    expect(fs.readFileSync(module, 'utf8')).toBe(await generate(wat));
  },
);

test('there is a kernel to check', () => {
  expect(kernelSources().length).toBeGreaterThan(0);
});
