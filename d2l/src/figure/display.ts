/**
 * Where a figure goes in a notebook: the running cell's output, as one message holding the whole MIME
 * bundle, either once (`kernelDisplay`) or as one output updated in place (`updatingDisplay`).
 *
 * In the d2l-ts kernel, by its host object (src/kernel/host.js), the only thing of the kernel d2l uses.
 * In another tslab kernel, by tslab's public API, which sends one MIME type per message: the PNG alone.
 * Outside a kernel, nowhere: `plot` returns the figure.
 */
import { randomBytes } from 'crypto';
import * as path from 'path';

/** Shows a MIME bundle in the running cell's output. */
export type Display = (data: Record<string, unknown>, metadata: Record<string, unknown>) => void;

/**
 * The key of the d2l-ts kernel's host object on `globalThis`; src/kernel/host.js publishes it
 * (test/kernel/host.test.ts checks that the two sides agree).
 */
export const KERNEL_HOST = Symbol.for('d2l-ts.kernel');
/** The version of the host object this code speaks. */
export const HOST_VERSION = 1;

type Bundle = Record<string, unknown>;

/** The d2l-ts kernel's host object, as src/kernel/host.js defines it. */
interface KernelHost {
  readonly version: number;
  /** One display_data with the whole bundle; with `displayId`, an output `update` can replace. */
  display(data: Bundle, metadata: Bundle, displayId?: string): void;
  update(displayId: string, data: Bundle, metadata: Bundle): void;
  /** Runs `fn` once when the running cell ends, before the kernel replies. */
  atCellEnd(fn: () => void): void;
  /** Runs `fn` once the kernel has been idle for a while (no cell, no request); a later addition. */
  whenIdle?(fn: () => void): void;
}

function kernelHost(): KernelHost | undefined {
  const host = (globalThis as Record<symbol, unknown>)[KERNEL_HOST] as { version?: unknown } | undefined;
  return host?.version === HOST_VERSION ? (host as KernelHost) : undefined;
}

/** tslab's public display (its `display`, or an output of `newDisplay()`): one MIME type per message. */
interface TslabDisplay {
  png(b: Uint8Array): void;
}

/**
 * The folder of the tslab that runs in `cwd`, by the kernel's rule (src/kernel/find-tslab.js, which d2l
 * cannot load): tslab switches to a node_modules/tslab found from the working directory, else it is the
 * one installed with this package. Undefined when there is none.
 */
export function findTslab(cwd: string = process.cwd()): string | undefined {
  try {
    return path.dirname(require.resolve('tslab/package.json', { paths: [cwd, __dirname] }));
  } catch {
    return undefined;
  }
}

/**
 * tslab's public API when this process is a tslab kernel (tslab's launcher is its main module) without
 * the d2l-ts host object; undefined elsewhere, so that outside a kernel tslab is never loaded.
 */
function plainTslab(): { display: TslabDisplay; newDisplay(): TslabDisplay } | undefined {
  if (!/[\\/]tslab[\\/]bin[\\/]tslab$/.test(require.main?.filename ?? '')) return undefined;
  const dir = findTslab();
  return dir === undefined ? undefined : require(dir); // eslint-disable-line @typescript-eslint/no-require-imports
}

const pngOf = (data: Bundle): Buffer => Buffer.from(String(data['image/png']), 'base64');

/** The running cell's display, or undefined outside a kernel. */
export function kernelDisplay(): Display | undefined {
  const host = kernelHost();
  if (host !== undefined) return (data, metadata) => host.display(data, metadata);
  const display = plainTslab()?.display;
  return display && ((data) => display.png(pngOf(data)));
}

/** One output shown, then replaced in place. */
export interface UpdatingDisplay {
  /** Shows `data`: display_data the first time, update_display_data (same display id) after. */
  show(data: Record<string, unknown>, metadata: Record<string, unknown>): void;
}

/**
 * An output of the running cell that later calls replace (`display_data` with a `display_id`, then
 * `update_display_data`), with the whole bundle in each message; undefined outside a kernel. In a tslab
 * kernel without the host object, tslab's `newDisplay()` with the PNG alone, skipping bundles without one.
 */
export function updatingDisplay(): UpdatingDisplay | undefined {
  const host = kernelHost();
  if (host !== undefined) {
    const id = randomBytes(8).toString('hex');
    let shown = false;
    return {
      show(data, metadata) {
        if (shown) host.update(id, data, metadata);
        else host.display(data, metadata, id);
        shown = true;
      },
    };
  }
  const output = plainTslab()?.newDisplay();
  return (
    output && {
      show(data) {
        if (data['image/png'] !== undefined) output.png(pngOf(data));
      },
    }
  );
}

/**
 * Calls `fn` once when the running cell ends, before the kernel replies, so that its output is part of
 * the cell wherever the notebook is run (JupyterLab, nbclient, the runner): the host object's cell-end
 * hook, as IPython's `post_execute` event lets matplotlib draw a cell's figures when the cell ends.
 * Without it (another tslab kernel), `fn` runs `fallbackMs` after the last call instead: JupyterLab
 * still updates the output by its display id.
 */
export function atCellEnd(fn: () => void, fallbackMs: number): void {
  const host = kernelHost();
  if (host !== undefined) {
    host.atCellEnd(fn);
    return;
  }
  const timers = fallbackTimers.get(fn);
  if (timers !== undefined) clearTimeout(timers);
  fallbackTimers.set(
    fn,
    setTimeout(() => (fallbackTimers.delete(fn), fn()), fallbackMs),
  );
}
const fallbackTimers = new WeakMap<() => void, ReturnType<typeof setTimeout>>();

/**
 * Runs each of `steps` in an idle moment of the d2l-ts kernel (no cell running, no request for a
 * second), one step a moment, so that a request arriving meanwhile waits for one step at most; for
 * work that makes a later cell faster. Nothing elsewhere (another kernel, a script, a test): the work is
 * then done when it is needed. Returns whether the steps were scheduled.
 */
export function whenKernelIdle(steps: readonly (() => void)[]): boolean {
  const host = kernelHost();
  if (typeof host?.whenIdle !== 'function') return false;
  for (const step of steps) host.whenIdle(step);
  return true;
}
