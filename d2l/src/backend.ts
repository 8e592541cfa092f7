/**
 * The one TensorFlow.js instance that d2l and the notebooks share, and the choice of its backend.
 *
 * Backends are tried from fastest to slowest: `tensorflow` (native libtensorflow through the optional
 * `@tensorflow/tfjs-node`), `wasm` (`@tensorflow/tfjs-backend-wasm`, SIMD), `cpu` (plain JavaScript).
 * `D2L_BACKEND=wasm` (or `tensorflow`, `cpu`) forces one and fails loudly when it cannot load.
 */
import * as tf from '@tensorflow/tfjs';
import * as util from 'util';
import { quietTensorFlowLog } from './tf-log';

/**
 * The `@tensorflow/tfjs` module that d2l and the notebooks share (a peer dependency: one
 * `@tensorflow/tfjs-core` in the tree). d2l-ts's own (the book has no counterpart).
 *
 * @example
 * d2l.tf.ones([2, 3]).print();
 */
export { tf };

/**
 * The backends d2l knows, best first. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * console.log(d2l.BACKENDS.join(' > ')); // tensorflow > wasm > cpu
 */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/**
 * The name of a backend d2l knows: `'tensorflow'`, `'wasm'` or `'cpu'`. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * const name: d2l.BackendName = await d2l.ready();
 */
export type BackendName = (typeof BACKENDS)[number];

/** Loads the package that registers `name`; returns why it cannot, or null when it is registered. */
function register(name: BackendName): string | null {
  if (tf.findBackendFactory(name) !== null) return null;
  const pkg = name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-backend-wasm';
  if (name === 'tensorflow') quietTensorFlowLog();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional packages, loaded on demand
    require(pkg);
  } catch (e) {
    return `${pkg} is not installed or does not load (${(e as Error).message.split('\n')[0]})`;
  }
  return tf.findBackendFactory(name) === null ? `${pkg} loaded but did not register '${name}'` : null;
}

/** Makes `name` the active backend and warms it up, or returns why it cannot. */
async function activate(name: BackendName): Promise<string | null> {
  const why = register(name);
  if (why !== null) return why;
  try {
    if (await tf.setBackend(name)) {
      warmUp();
      return null;
    }
  } catch (e) {
    return (e as Error).message;
  }
  return `the '${name}' backend failed to initialise`;
}

/**
 * Runs a few small ops, so that the first op a notebook times is not the backend's start-up (the
 * native backend spends 20-50 ms creating TensorFlow's context on its first op). The cpu backend's
 * first tensor prints a one-time banner telling Node users to install tfjs-node, which a notebook
 * shows as a red stderr block as if a cell had failed; d2l has already chosen the backend and
 * `ready()` names it, so the warm-up runs with tfjs's warnings off (the public `PROD` flag).
 */
function warmUp(): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    tf.tidy(() => {
      const x = tf.ones([4, 2]);
      tf.matMul(x, tf.ones([2, 1]))
        .reshape([4])
        .add(1)
        .mul(2)
        .sub(x.sum(1))
        .square()
        .mean()
        .dataSync();
    });
  } finally {
    tf.env().set('PROD', prod);
  }
}

/**
 * Loading `@tensorflow/tfjs-node` makes `tensorflow` the active backend as a side effect. When the
 * user has chosen another backend, d2l loads it first (when it is installed), so that a later
 * `import '@tensorflow/tfjs-node'` finds it already loaded and does not switch the session away.
 */
function loadNativeFirst(chosen: BackendName): void {
  if (chosen !== 'tensorflow') register('tensorflow');
}

/** Whether tfjs-node is installed, or a `tensorflow` backend registered (it may still fail to load). */
function nativePresent(): boolean {
  if (tf.findBackendFactory('tensorflow') !== null) return true;
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

let selecting: Promise<BackendName> | undefined;

/**
 * Selects the best backend that loads (or the one named by `D2L_BACKEND`) and waits until it is
 * ready, warmed up so the first op a notebook times is not TensorFlow starting. Call it once, before
 * the first tensor op. d2l-ts's own (the book has no counterpart): every notebook's first cell calls it.
 *
 * @returns the active backend's name.
 * @example
 * console.log(`backend: ${await d2l.ready()}`); // backend: tensorflow
 */
export function ready(): Promise<BackendName> {
  selecting ??= select(process.env.D2L_BACKEND);
  return selecting;
}

async function select(requested: string | undefined): Promise<BackendName> {
  if (requested !== undefined && requested !== '') {
    if (!(BACKENDS as readonly string[]).includes(requested)) {
      throw new Error(`D2L_BACKEND must be one of ${BACKENDS.join(', ')}; got '${requested}'`);
    }
    loadNativeFirst(requested as BackendName);
    const why = await activate(requested as BackendName);
    if (why !== null) throw new Error(`D2L_BACKEND=${requested} is unavailable: ${why}`);
    return requested as BackendName;
  }
  for (const [i, name] of BACKENDS.entries()) {
    const why = await activate(name);
    if (why === null) return name;
    // Without tfjs-node, wasm is the expected backend and the notebooks say so; a tfjs-node that is
    // there but fails to load or compute (a broken build, a Node it does not support) must not pass
    // silently.
    if (name === 'tensorflow' && nativePresent()) {
      console.error(`d2l: the '${name}' backend failed (${why}); falling back to ${BACKENDS[i + 1]}`);
    }
  }
  throw new Error('no TensorFlow.js backend could be initialised (tried tensorflow, wasm, cpu)');
}

/**
 * Switches to `name` for the rest of the process (tests and benchmarks compare backends with it).
 * Unlike `ready`, it ignores `D2L_BACKEND`. d2l-ts's own (the book has no counterpart).
 *
 * @param name the backend to use; an error if it does not load here.
 * @example
 * await d2l.useBackend('cpu');
 */
export async function useBackend(name: BackendName): Promise<void> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`useBackend: name must be one of ${BACKENDS.join(', ')}; got ${util.inspect(name)}`);
  }
  loadNativeFirst(name);
  const why = await activate(name);
  if (why !== null) throw new Error(`useBackend: backend '${name}' is unavailable: ${why}`);
  selecting = Promise.resolve(name);
}

/**
 * The backends that load on this machine, best first (activating each in turn, then restoring). d2l-ts's own (the book has no counterpart).
 *
 * @example
 * console.log(await d2l.availableBackends()); // [ 'tensorflow', 'wasm', 'cpu' ]
 */
export async function availableBackends(): Promise<BackendName[]> {
  const current = tf.getBackend();
  const found: BackendName[] = [];
  for (const name of BACKENDS) if ((await activate(name)) === null) found.push(name);
  if (current) await tf.setBackend(current);
  return found;
}

/**
 * The name of the active backend (`tf.getBackend()`), e.g. `'wasm'`. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * console.log(d2l.backend());
 */
export function backend(): string {
  return tf.getBackend();
}
