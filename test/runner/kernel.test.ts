/** kernel.ts without a kernel: which preloads a kernelspec's command gets. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KERNEL_PRELOAD, kernelSpec, tslabBin } from '../../src/kernelspec';
import { withPreloads } from '../../src/runner/kernel';

const requires = (argv: string[]): string[] =>
  argv.flatMap((arg, i) => (argv[i - 1] === '--require' ? [arg] : []));

describe('withPreloads', () => {
  it('gives every Node kernel all of the preloads once, the d2l-ts kernelspec included', () => {
    const argv = withPreloads(kernelSpec().argv);
    expect(
      requires(argv)
        .map((file) => path.basename(file))
        .sort(),
    ).toEqual(['exit-with-parent.js', 'lossless-iopub.js', 'preload.js']);
    expect(requires(argv)).toContain(KERNEL_PRELOAD);
    expect(argv.slice(-4)).toEqual(kernelSpec().argv.slice(-4));
  });

  it('runs a plain `tslab` command (as its own kernelspec says) under this Node with the preloads', () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-path-'));
    const saved = process.env.PATH;
    try {
      fs.symlinkSync(tslabBin(), path.join(bin, 'tslab'));
      process.env.PATH = `${bin}${path.delimiter}${saved}`;
      const argv = withPreloads(['tslab', 'kernel', '--config-path', '{connection_file}']);
      expect(argv[0]).toBe(process.execPath);
      expect(requires(argv)).toHaveLength(3);
      expect(argv.slice(-4)).toEqual([
        fs.realpathSync(tslabBin()),
        'kernel',
        '--config-path',
        '{connection_file}',
      ]);
    } finally {
      process.env.PATH = saved;
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('adds no second kernel preload to an argv that requires one (an older checkout, in the bench)', () => {
    const older = ['/elsewhere/src/kernel-preload.js', '/elsewhere/src/kernel/preload.js'];
    for (const preload of older) {
      const argv = withPreloads([process.execPath, '--require', preload, tslabBin(), 'kernel']);
      expect(
        requires(argv)
          .map((file) => path.basename(file))
          .sort(),
      ).toEqual(['exit-with-parent.js', 'lossless-iopub.js', path.basename(preload)].sort());
    }
  });

  it('leaves other kernels (python3) as their kernelspec says', () => {
    const python = ['python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'];
    expect(withPreloads(python)).toEqual(python);
  });
});
