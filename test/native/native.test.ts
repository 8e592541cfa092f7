/**
 * `npm run native` (src/native): the repacked archive's layout, the cache's checksum, and clear
 * failures. The real install (pip, the addon's build) runs in `.ci/run`, and the backend tests
 * check what it gives.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ARCHIVE, ensureArchive, NativeError, provision } from '../../src/native';
import { tfjsNodeInstalled } from '../support/helpers';

const repack = path.resolve(__dirname, '../../src/native/libtensorflow-from-wheel.py');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-native-'));
  jest.spyOn(console, 'error').mockImplementation(() => {}); // the command's progress lines
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

/** Lists a tar archive with Python's tarfile: name, type (f file, l link) and link target. */
function listTar(file: string): string[] {
  const py = `import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    print(m.name, 'l ' + m.linkname if m.issym() else 'f %d' % m.size)`;
  const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').sort();
}

test('the wheel is repacked as libtensorflow: the names tfjs-node and the loader ask for, the C headers only', () => {
  const wheel = path.join(dir, 'fake.whl');
  const make = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], 'w')
for name, data in [('tensorflow/libtensorflow_cc.so.2', b'cc'), ('tensorflow/libtensorflow_framework.so.2', b'fw'),
                   ('tensorflow/include/tensorflow/c/c_api.h', b'h1'), ('tensorflow/include/tensorflow/c/eager/c_api.h', b'h2'),
                   ('tensorflow/include/tsl/platform/ctstring.h', b'h3'), ('tensorflow/include/xla/tsl/c/tsl_status.h', b'h4'),
                   ('tensorflow/include/tensorflow/core/framework/tensor.h', b'no'), ('tensorflow/python/x.py', b'no')]:
    z.writestr(name, data)`;
  expect(spawnSync('python3', ['-c', make, wheel]).status).toBe(0);
  const out = path.join(dir, ARCHIVE);
  const r = spawnSync('python3', [repack, wheel, out], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(listTar(out)).toEqual(
    [
      'include/tensorflow/c/c_api.h f 2',
      'include/tensorflow/c/eager/c_api.h f 2',
      'include/tsl/platform/ctstring.h f 2',
      'include/xla/tsl/c/tsl_status.h f 2',
      'lib/libtensorflow.so l libtensorflow.so.2.9.1',
      'lib/libtensorflow.so.2 l libtensorflow.so.2.9.1',
      'lib/libtensorflow.so.2.9.1 f 2',
      'lib/libtensorflow_cc.so.2 l libtensorflow.so.2.9.1',
      'lib/libtensorflow_framework.so l libtensorflow_framework.so.2.9.1',
      'lib/libtensorflow_framework.so.2 l libtensorflow_framework.so.2.9.1',
      'lib/libtensorflow_framework.so.2.9.1 f 2',
    ].sort(),
  );
});

/** An environment in which pip, g++ and make cannot be found. */
const noTools = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: dir });

test('a cached archive that matches its checksum is used as it is', () => {
  const archive = path.join(dir, ARCHIVE);
  fs.writeFileSync(archive, 'archive');
  const sum = crypto.createHash('sha256').update('archive').digest('hex');
  fs.writeFileSync(`${archive}.sha256`, `${sum}\n`);
  expect(ensureArchive(dir, noTools())).toBe(archive);
});

test('a cached archive that does not match its checksum is rebuilt, not served', () => {
  const archive = path.join(dir, ARCHIVE);
  fs.writeFileSync(archive, 'truncated');
  fs.writeFileSync(`${archive}.sha256`, `${'0'.repeat(64)}\n`);
  expect(() => ensureArchive(dir, noTools())).toThrow(NativeError); // pip cannot be found
  expect(fs.readdirSync(dir).filter((f) => f.startsWith('wheel-'))).toEqual([]); // no temp folder left
});

test('without pip or a compiler, provisioning fails at once, naming what is missing, and changes nothing', async () => {
  fs.mkdirSync(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node'), { recursive: true });
  const attempt = provision({ force: true, root: dir, env: noTools() });
  await expect(attempt).rejects.toThrow(NativeError);
  await expect(attempt).rejects.toThrow(/python3.*g\+\+.*make/s);
  expect(fs.existsSync(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node'))).toBe(true);
});

const root = path.resolve(__dirname, '../..');
const native = tfjsNodeInstalled() ? test : test.skip;

// Node 23 removed util.isNullOrUndefined, util.isArray and the other util.is* functions; tfjs-node
// 4.22.0 calls them (tensorflow/tfjs#8609). Deleting them here makes any Node behave as Node >= 23.
native('the installed tfjs-node computes without the util.is* functions Node 23 removed', () => {
  const code = `const util = require('node:util');
    for (const name of Object.keys(util)) if (/^is[A-Z]/.test(name) && name !== 'isDeepStrictEqual') delete util[name];
    const tf = require('@tensorflow/tfjs-node');
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));  // createTensorsTypeOpAttr
    const top = tf.topk(tf.tensor1d([1, 3, 2]));            // TopK's default k and sorted
    console.log(tf.getBackend(), y.dataSync()[0], top.values.dataSync()[0]);`;
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '1' },
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('tensorflow 3 3\n');
});

describe("npm install's postinstall", () => {
  /** Runs src/native/postinstall.ts as npm would, with `env` on top of this process's environment. */
  const postinstall = (env: NodeJS.ProcessEnv): { status: number | null; lines: string[] } => {
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), path.join(root, 'src/native/postinstall.ts')],
      { cwd: root, encoding: 'utf8', env: { ...process.env, D2L_CACHE_DIR: dir, ...env } },
    );
    return { status: r.status, lines: `${r.stdout}${r.stderr}`.split('\n').filter((l) => l !== '') };
  };

  test('inside the native route’s own npm install it does nothing', () => {
    expect(postinstall({ D2L_NATIVE_ROUTE: '1' })).toEqual({ status: 0, lines: [] });
  });

  test('opted out with D2L_SKIP_NATIVE, it says so in one line and succeeds', () => {
    const { status, lines } = postinstall({ D2L_SKIP_NATIVE: '1', D2L_NATIVE_ROUTE: '' });
    expect(status).toBe(0);
    expect(lines).toHaveLength(1);
  });

  // With tfjs-node loading it finds nothing to do; without it, the route stops at the missing tools.
  // Either way: one line, and the install succeeds.
  test('without pip or a compiler it says what the notebooks run on in one line and succeeds', () => {
    const { status, lines } = postinstall({ PATH: dir, D2L_SKIP_NATIVE: '', D2L_NATIVE_ROUTE: '' });
    expect(status).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(tfjsNodeInstalled() ? /tensorflow/ : /python3.*wasm/);
  });
});
