import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as d2l from 'd2l';
import { tfjsNodeInstalled } from '../support/helpers';

const root = path.resolve(__dirname, '../..');

/** Runs a snippet in a fresh node process (backend choice is once per process) and returns its output. */
function runNode(code: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const printReady = `require('d2l').ready().then((b) => console.log('backend=' + b + ' tf=' + require('d2l').tf.getBackend()),
  (e) => { console.log('error=' + e.message); process.exit(3); });`;

describe('backend selection', () => {
  test('picks the best backend that loads: tensorflow, else wasm', () => {
    const { status, out } = runNode(printReady, { D2L_BACKEND: '' });
    expect(status).toBe(0);
    const expected = tfjsNodeInstalled() ? 'tensorflow' : 'wasm';
    expect(out).toContain(`backend=${expected} tf=${expected}`);
  });

  test('a native backend that loads but cannot compute falls back, with one line on stderr saying why', () => {
    // A 'tensorflow' backend without kernels stands for a broken tfjs-node (tfjs-node 4.22.0 on
    // Node >= 23 unpatched: every op throws).
    const code = `require('d2l').tf.registerBackend('tensorflow', () => ({}));\n${printReady}`;
    const r = spawnSync(process.execPath, ['-e', code], {
      cwd: root,
      env: { ...process.env, D2L_BACKEND: '' },
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('backend=wasm tf=wasm\n');
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining('tensorflow')]);
  });

  test.each(['cpu', 'wasm'])('D2L_BACKEND=%s forces that backend', (name) => {
    const { status, out } = runNode(printReady, { D2L_BACKEND: name });
    expect(status).toBe(0);
    expect(out).toContain(`backend=${name} tf=${name}`);
  });

  // Where tfjs-node is installed there is no unavailable backend to force.
  (tfjsNodeInstalled() ? test.skip : test)('a forced backend that is not installed fails clearly', () => {
    const { status, out } = runNode(printReady, { D2L_BACKEND: 'tensorflow' });
    expect(status).toBe(3);
    expect(out).toMatch(
      /error=D2L_BACKEND=tensorflow is unavailable: @tensorflow\/tfjs-node is not installed/,
    );
  });

  test("the cpu backend's 'install tfjs-node' banner stays out of the output", () => {
    const code = `require('d2l').ready().then(() => { require('d2l').tf.ones([2]).dataSync(); console.log('ok'); });`;
    expect(runNode(code, { D2L_BACKEND: 'cpu' })).toEqual({ status: 0, out: 'ok\n' });
  });

  const native = tfjsNodeInstalled() ? test : test.skip;

  native('the native backend loads without a line on stderr (TensorFlow logs its start-up there)', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, D2L_BACKEND: '' };
    delete env.TF_CPP_MIN_LOG_LEVEL;
    delete env.TF_ENABLE_ONEDNN_OPTS;
    const r = spawnSync(process.execPath, ['-e', printReady], { cwd: root, env, encoding: 'utf8' });
    expect(r.stdout).toContain('backend=tensorflow tf=tensorflow');
    expect(r.stderr).toBe('');
  });

  native('a forced backend survives a later import of @tensorflow/tfjs-node', () => {
    const code = `require('d2l').ready().then(() => {
      require('@tensorflow/tfjs-node');
      console.log('after=' + require('d2l').tf.getBackend());
    });`;
    expect(runNode(code, { D2L_BACKEND: 'wasm' })).toEqual({ status: 0, out: 'after=wasm\n' });
  });

  test('an unknown D2L_BACKEND is rejected, naming the choices', () => {
    const { status, out } = runNode(printReady, { D2L_BACKEND: 'webgl' });
    expect(status).toBe(3);
    expect(out).toContain("error=D2L_BACKEND must be one of tensorflow, wasm, cpu; got 'webgl'");
  });

  test('useBackend switches, and rejects unknown names', async () => {
    const available = await d2l.availableBackends();
    expect(available).toContain('cpu');
    for (const name of available) {
      await d2l.useBackend(name);
      expect(d2l.backend()).toBe(name);
      expect(await d2l.ready()).toBe(name);
    }
    await expect(d2l.useBackend('gpu' as d2l.BackendName)).rejects.toThrow(
      "useBackend: name must be one of tensorflow, wasm, cpu; got 'gpu'",
    );
  });
});

describe('one tfjs', () => {
  test('the installed tree holds exactly one @tensorflow/tfjs-core', () => {
    const copies: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name === '.bin') continue;
        const full = path.join(dir, entry.name);
        if (full.endsWith(path.join('@tensorflow', 'tfjs-core'))) copies.push(full);
        else if (
          entry.name === 'node_modules' ||
          entry.name.startsWith('@') ||
          dir.endsWith('node_modules')
        ) {
          walk(full);
        }
      }
    };
    walk(path.join(root, 'node_modules'));
    walk(path.join(root, 'd2l'));
    expect(copies).toEqual([path.join(root, 'node_modules', '@tensorflow', 'tfjs-core')]);
  });

  test('npm agrees: every dependent resolves to one tfjs-core version', () => {
    const out = execFileSync('npm', ['ls', '@tensorflow/tfjs-core', '--all', '--parseable'], {
      cwd: root,
      encoding: 'utf8',
    });
    const paths = new Set(
      out
        .trim()
        .split('\n')
        .filter((p) => p.endsWith('tfjs-core')),
    );
    expect([...paths]).toHaveLength(1);
  });
});
