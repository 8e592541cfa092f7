/**
 * Users install d2l into their own projects: pack it as npm would publish it, install the tarball into
 * a fresh project next to that project's own @tensorflow/tfjs, and train there.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('the packed d2l installs into another project and shares its tf', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-pack-'));
  try {
    const tarball = npm(['pack', '--silent', '--pack-destination', dir], path.join(root, 'd2l')).trim();
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    const tfPackage = path.join(root, 'node_modules/@tensorflow/tfjs/package.json');
    const tfVersion = JSON.parse(fs.readFileSync(tfPackage, 'utf8')).version;
    npm(
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        `./${tarball}`,
        `@tensorflow/tfjs@${tfVersion}`,
      ],
      dir,
    );
    const script = `
      const tf = require('@tensorflow/tfjs');
      const d2l = require('d2l');
      (async () => {
        const backend = await d2l.ready();
        d2l.seed(3);
        const [X, y] = d2l.synthetic_data(tf.tensor1d([2, -3.4]), 4.2, 200);
        const w = tf.variable(tf.zeros([2, 1])), b = tf.variable(tf.zeros([1]));
        for (let epoch = 0; epoch < 20; epoch++)
          for (const [Xb, yb] of d2l.data_iter(10, X, y))
            tf.tidy(() => d2l.sgd([w, b], tf.variableGrads(() => d2l.squared_loss(d2l.linreg(Xb, w, b), yb).sum()).grads, 0.03, 10));
        console.log(JSON.stringify({ backend, sameTf: d2l.tf === tf, w: Array.from(w.dataSync()), b: b.dataSync()[0] }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    // The user's project has no tfjs-node: a D2L_BACKEND=tensorflow of ours must not follow it there.
    const env = { ...process.env, D2L_BACKEND: '' };
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', env }),
    );
    expect(out.sameTf).toBe(true);
    expect(out.backend).toBe('wasm');
    expect(out.w[0]).toBeCloseTo(2, 1);
    expect(out.w[1]).toBeCloseTo(-3.4, 1);
    expect(out.b).toBeCloseTo(4.2, 1);
    // The user's project, like ours, must hold a single tfjs-core.
    const cores = npm(['ls', '@tensorflow/tfjs-core', '--all', '--parseable'], dir)
      .trim()
      .split('\n')
      .filter((p) => p.endsWith('tfjs-core'));
    expect(new Set(cores).size).toBe(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180000);
