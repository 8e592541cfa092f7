/**
 * `npm run native`: installs @tensorflow/tfjs-node, TensorFlow.js's native backend, where its own
 * install cannot download libtensorflow (no network but the package registries, or a firewall).
 * `npm install` runs the same route by itself (src/native/postinstall.ts).
 *
 * tfjs-node's installer fetches `libtensorflow-cpu-<os>-<arch>-2.9.1.tar.gz` from Google's storage and
 * then builds its addon. When that download fails, npm drops the optional dependency and d2l runs on
 * wasm. This command takes TensorFlow's C library from TensorFlow's own pip wheel instead (pinned and
 * checksummed), repacks it as that archive in a cache outside node_modules (so `npm ci` does not throw
 * it away), serves it on loopback, and lets npm install tfjs-node again with `TFJS_NODE_BASE_URI`
 * pointing there; tfjs-node's installer then builds the addon from source against it.
 *
 *   npm run native                 (idempotent: does nothing when the backend already loads)
 *   npm run native -- --force      (reinstall tfjs-node against the cached library)
 *   npm run native -- --check      (only say whether the backend loads; `npm start` runs it)
 *
 * Either way the installed tfjs-node is patched for Node >= 23 (see `patchTfjsNode`).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { quietTensorFlowLog } from '../../d2l/src/tf-log';
import { PROJECT_ROOT } from '../paths';

/** TensorFlow's pip build whose C library the addon is built against (Linux x86_64, any Python). */
export const WHEEL = {
  requirement: 'tensorflow-cpu==2.21.0',
  file: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
  pipArgs: ['--only-binary=:all:', '--python-version', '3.11', '--platform', 'manylinux_2_27_x86_64'],
};
/** The archive name tfjs-node 4.22's installer asks for (its pinned libtensorflow is 2.9.1). */
export const ARCHIVE = 'libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz';
const REPACK = path.join(__dirname, 'libtensorflow-from-wheel.py');

/** Where the repacked library is kept: `D2L_CACHE_DIR`, else `$XDG_CACHE_HOME/d2l-ts`, else `~/.cache/d2l-ts`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.D2L_CACHE_DIR) return env.D2L_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'd2l-ts');
}

export class NativeError extends Error {}

/**
 * Whether `@tensorflow/tfjs-node` loads from `root` and computes on the `tensorflow` backend.
 * Runs in a child process: a broken addon can abort the process that loads it.
 */
export function nativeStatus(root = PROJECT_ROOT): { ok: boolean; detail: string } {
  const probe = `const tf = require('@tensorflow/tfjs-node');
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync();
    if (tf.getBackend() !== 'tensorflow' || y[0] !== 3) throw new Error('wrong result on ' + tf.getBackend());
    console.log('tfjs-node ' + tf.version['tfjs-node']);`;
  const child = spawnSync(process.execPath, ['-e', probe], {
    cwd: root,
    encoding: 'utf8',
    env: quietTensorFlowLog({ ...process.env }),
    timeout: 60_000,
  });
  const out = `${child.stdout ?? ''}${child.stderr ?? ''}`.trim();
  const lastLine =
    out
      .split('\n')
      .filter((l) => !/^\s+at /.test(l))
      .pop() ?? '';
  return child.status === 0
    ? { ok: true, detail: out }
    : { ok: false, detail: lastLine || String(child.error) };
}

const tfjsNodeDir = (root: string): string => path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');

/**
 * tfjs-node 4.22.0, still the latest release, calls `util.isNullOrUndefined` and `util.isArray`, which
 * Node 23 removed, so on Node >= 23 every op fails with "util_1.isNullOrUndefined is not a function".
 * Upstream fixed it in tensorflow/tfjs#8425 but has not released the fix (tensorflow/tfjs#8609).
 * patches/@tensorflow+tfjs-node+4.22.0.patch makes the same change to the installed package, applied
 * by patch-package (which also recognises a patch already applied). Delete the patch and this function
 * when a tfjs-node release includes #8425.
 *
 * @returns null when the patch is applied (or tfjs-node is not installed), else why it could not be.
 */
export function patchTfjsNode(root = PROJECT_ROOT): string | null {
  if (!fs.existsSync(tfjsNodeDir(root))) return null;
  const bin = require.resolve('patch-package/index.js');
  const r = spawnSync(process.execPath, [bin], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  if (r.status === 0) return null;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return `patch-package could not patch @tensorflow/tfjs-node for Node >= 23: ${out.split('\n').pop()}`;
}

function sha256(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return hash.digest('hex');
}

/** Where the route's tools (pip, npm, the addon's build) write: the terminal, or a log file's descriptor. */
export type Output = 'inherit' | number;
const stdioOf = (output: Output): StdioOptions =>
  output === 'inherit' ? 'inherit' : ['ignore', output, output];

/** Runs a command to completion; throws NativeError when it fails. */
function run(command: string, args: string[], what: string, env: NodeJS.ProcessEnv, output: Output): void {
  const result = spawnSync(command, args, { stdio: stdioOf(output), env });
  if (result.error) throw new NativeError(`${what}: cannot run ${command} (${result.error.message})`);
  if (result.status !== 0)
    throw new NativeError(`${what}: ${command} ${args.join(' ')} exited with ${result.status}`);
}

/** Fails early, with what to install, when a tool of this route is missing. */
function requireTools(env: NodeJS.ProcessEnv): void {
  const missing = [
    ['python3', ['-m', 'pip', '--version'], 'python3 with pip (to download the TensorFlow wheel)'],
    ['g++', ['--version'], 'g++ (to build the addon)'],
    ['make', ['--version'], 'make (to build the addon)'],
  ].filter(
    ([cmd, args]) => spawnSync(cmd as string, args as string[], { stdio: 'ignore', env }).status !== 0,
  );
  if (missing.length > 0) {
    throw new NativeError(`missing: ${missing.map((m) => m[2]).join('; ')}`);
  }
}

/**
 * The repacked library in the cache, made on first use: pip downloads the pinned wheel into a
 * temporary folder, its checksum is checked, and only the C library and headers are kept.
 * The archive's own checksum is recorded beside it, so a truncated cache is rebuilt, not served.
 */
export function ensureArchive(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
  output: Output = 'inherit',
): string {
  const archive = path.join(dir, ARCHIVE);
  const sumFile = `${archive}.sha256`;
  if (fs.existsSync(archive) && fs.existsSync(sumFile)) {
    if (fs.readFileSync(sumFile, 'utf8').trim() === sha256(archive)) return archive;
    console.error(`native: ${archive} does not match its checksum; rebuilding it`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const download = fs.mkdtempSync(path.join(dir, 'wheel-'));
  try {
    console.error(`native: downloading ${WHEEL.requirement} with pip (about 270 MB)`);
    // --retries 0: an index that cannot be reached fails at once instead of after minutes of retries.
    run(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--retries',
        '0',
        '--no-deps',
        ...WHEEL.pipArgs,
        '-d',
        download,
        WHEEL.requirement,
      ],
      'downloading the TensorFlow wheel',
      env,
      output,
    );
    const wheel = path.join(download, WHEEL.file);
    if (!fs.existsSync(wheel)) throw new NativeError(`pip did not produce ${WHEEL.file}`);
    const got = sha256(wheel);
    if (got !== WHEEL.sha256) throw new NativeError(`${WHEEL.file}: sha256 ${got}, expected ${WHEEL.sha256}`);
    console.error(`native: repacking TensorFlow's C library as ${ARCHIVE}`);
    const partial = `${archive}.partial`;
    run('python3', [REPACK, wheel, partial], 'repacking the wheel', env, output);
    fs.renameSync(partial, archive);
    fs.writeFileSync(sumFile, `${sha256(archive)}\n`);
    return archive;
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}

/** Serves `file` (and nothing else) on 127.0.0.1 while `use(baseUri)` runs. */
async function serving<T>(file: string, use: (baseUri: string) => Promise<T>): Promise<T> {
  const name = `/${path.basename(file)}`;
  const server = http.createServer((req, res) => {
    if (req.url !== name) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await use(`http://127.0.0.1:${port}/libtensorflow-`);
  } finally {
    server.close();
  }
}

/** Set in the environment of the route's own `npm install` (see src/native/postinstall.ts). */
export const INSIDE_NATIVE_ROUTE = 'D2L_NATIVE_ROUTE';

/** `npm install` with tfjs-node's installer pointed at `baseUri`; resolves with npm's exit code. */
function npmInstall(baseUri: string, root: string, env: NodeJS.ProcessEnv, output: Output): Promise<number> {
  const npm = env.npm_execpath
    ? [process.execPath, env.npm_execpath]
    : [process.platform === 'win32' ? 'npm.cmd' : 'npm'];
  const args = [
    'install',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--foreground-scripts',
    '--loglevel=error',
  ];
  const child = spawn(npm[0], [...npm.slice(1), ...args], {
    cwd: root,
    stdio: stdioOf(output),
    env: {
      ...quietTensorFlowLog({ ...env }),
      // This npm runs the root package's postinstall again; it must not start this route again.
      [INSIDE_NATIVE_ROUTE]: '1',
      TFJS_NODE_BASE_URI: baseUri,
      // node-pre-gyp: build the addon against this library, never fetch Google's prebuilt one (2.9.1).
      npm_config_build_from_source: 'true',
    },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * Makes the native backend load: patches an installed tfjs-node; when it still does not load, (re)installs
 * it against TensorFlow's pip wheel. `output` receives the tools' output (pip, npm, the addon's build).
 */
export async function provision(
  options: { force?: boolean; root?: string; env?: NodeJS.ProcessEnv; output?: Output } = {},
): Promise<string> {
  const root = options.root ?? PROJECT_ROOT;
  const env = options.env ?? process.env;
  const output = options.output ?? 'inherit';
  if (!options.force) {
    const unpatched = patchTfjsNode(root);
    if (unpatched !== null) console.error(`native: ${unpatched}`);
    const status = nativeStatus(root);
    if (status.ok) return `already installed: ${status.detail} loads as backend 'tensorflow'`;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NativeError(
      `TensorFlow's pip wheel route covers Linux x86_64 only (this is ${process.platform} ${process.arch}); ` +
        `here tfjs-node's own install downloads libtensorflow: npm install @tensorflow/tfjs-node`,
    );
  }
  requireTools(env);
  const archive = ensureArchive(cacheDir(env), env, output);
  // A tfjs-node that is there but does not load (say, its addon never built) would leave npm "up to date".
  fs.rmSync(tfjsNodeDir(root), { recursive: true, force: true });
  console.error(`native: installing @tensorflow/tfjs-node against ${archive}`);
  const code = await serving(archive, (baseUri) => npmInstall(baseUri, root, env, output));
  if (code !== 0) throw new NativeError(`npm install exited with ${code}`);
  const unpatched = patchTfjsNode(root);
  if (unpatched !== null) throw new NativeError(unpatched);
  // npm drops an optional dependency whose install failed and still exits 0: check the result itself.
  const status = nativeStatus(root);
  if (!status.ok) throw new NativeError(`@tensorflow/tfjs-node still does not load: ${status.detail}`);
  return `installed: ${status.detail} loads as backend 'tensorflow'`;
}

const USAGE = 'usage: npm run native [-- --force | --check]';

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.length > 1 || (args.length === 1 && !['--force', '--check'].includes(args[0]))) {
    console.error(`native: unexpected arguments: ${args.join(' ')}\n${USAGE}`);
    process.exit(2);
  }
  if (args[0] === '--check') {
    // `npm start` asks first, so that a run on wasm says how to get the native backend.
    const status = nativeStatus();
    if (!status.ok) {
      console.error(
        "note: TensorFlow's native backend is not installed, so the notebooks run on wasm " +
          '(`npm run native` installs it; see "Backends" in README.md)',
      );
    }
  } else {
    provision({ force: args[0] === '--force' }).then(
      (message) => console.log(`native: ${message}`),
      (error: Error) => {
        console.error(`native: ${error instanceof NativeError ? error.message : error.stack}`);
        console.error('native: d2l keeps working on the wasm backend; see "Backends" in README.md');
        process.exitCode = 1;
      },
    );
  }
}
