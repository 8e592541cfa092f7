/** kernelspecs.ts: which kernel runs a notebook. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseKernel } from '../../src/runner/kernelspecs';
import { readNotebook } from '../../src/runner/notebook';
import { writeNotebook } from '../support/runner-helpers';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-kernelspecs-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('chooseKernel', () => {
  it('refuses a notebook of another kernel unless --kernel names one; finds installed kernelspecs', () => {
    const file = writeNotebook(dir, 'js.ipynb', ['1'], { name: 'jslab', language: 'javascript' });
    const nb = readNotebook(file);
    expect(() => chooseKernel(nb, file)).toThrow(/--kernel/);
    expect(chooseKernel(nb, file, 'd2l-ts').name).toBe('d2l-ts');
    const spec = path.join(dir, 'jupyter', 'kernels', 'jslab');
    fs.mkdirSync(spec, { recursive: true });
    fs.writeFileSync(path.join(spec, 'kernel.json'), JSON.stringify({ argv: ['js', '{resource_dir}/x'] }));
    const saved = process.env.JUPYTER_PATH;
    process.env.JUPYTER_PATH = path.join(dir, 'jupyter');
    try {
      expect(chooseKernel(nb, file, 'jslab').argv).toEqual(['js', `${spec}/x`]);
      expect(() => chooseKernel(nb, file, 'nope')).toThrow(/no such kernelspec/);
    } finally {
      if (saved === undefined) delete process.env.JUPYTER_PATH;
      else process.env.JUPYTER_PATH = saved;
    }
  });
});
