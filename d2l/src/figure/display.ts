/**
 * Where a figure goes in a notebook: the running tslab cell's output, as one message holding the
 * whole MIME bundle, either once (`kernelDisplay`) or as one output updated in place (`updatingDisplay`).
 */
import { randomBytes } from 'crypto';
import * as path from 'path';

/** Shows a MIME bundle in the running cell's output. */
export type Display = (data: Record<string, unknown>, metadata: Record<string, unknown>) => void;

/** tslab's internal sender: a display_data (or, with `update`, update_display_data) message. */
type WriteDisplayData = (
  msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: object },
  update: boolean,
) => void;

/** The exports of a tslab module the kernel has loaded (the copy it runs, found in require.cache). */
function loaded(file: string): Array<Record<string, unknown> | undefined> {
  return Object.keys(require.cache)
    .filter((key) => key.endsWith(path.join('tslab', 'dist', file)))
    .map((key) => require.cache[key]?.exports);
}

/**
 * tslab's `jupyter` module when it has the internal `lastWriteDisplayData`, which it sets for the
 * running cell (null until the first cell); undefined without tslab or when a tslab upgrade removed it.
 */
function jupyterModule(): { lastWriteDisplayData?: WriteDisplayData | null } | undefined {
  return loaded('jupyter.js').find((j) => j !== undefined && 'lastWriteDisplayData' in j);
}

/** tslab's public `display` and `newDisplay`: one MIME type per message. */
interface PublicDisplay {
  png(b: Uint8Array): void;
}
function tslabPublic(): { display?: PublicDisplay; newDisplay?: () => PublicDisplay } | undefined {
  return loaded('public.js').find(
    (p) => typeof (p?.display as PublicDisplay | undefined)?.png === 'function',
  );
}

/**
 * The running tslab cell's display, or undefined outside a tslab cell.
 *
 * tslab's public `display` sends one MIME type per message, and a front end would draw each. The
 * whole bundle goes in one message through `lastWriteDisplayData`, which tslab's `jupyter` module sets
 * for the running cell: internal API, so when it is gone we fall back to the public `display.png`.
 */
export function kernelDisplay(): Display | undefined {
  const jupyter = jupyterModule();
  const write = jupyter?.lastWriteDisplayData;
  if (typeof write === 'function') return (data, metadata) => write({ data, metadata, transient: {} }, false);
  if (jupyter !== undefined || loaded('jupyter.js').length === 0) return undefined; // no cell, or no tslab
  const display = tslabPublic()?.display;
  return display && ((data) => display.png(Buffer.from(String(data['image/png']), 'base64')));
}

/** One output shown, then replaced in place. */
export interface UpdatingDisplay {
  /** Shows `data`: display_data the first time, update_display_data (same display id) after. */
  show(data: Record<string, unknown>, metadata: Record<string, unknown>): void;
}

/**
 * An output of the running tslab cell that later calls replace, as tslab's public `newDisplay()` does
 * (`display_data` with a `display_id`, then `update_display_data`), but with the whole bundle in each
 * message; undefined outside a tslab cell. Without the internal sender it falls back to `newDisplay()`
 * with the PNG alone, skipping bundles without one. Each message goes through the sender tslab set for
 * the cell running when it is sent.
 */
export function updatingDisplay(): UpdatingDisplay | undefined {
  const jupyter = jupyterModule();
  if (typeof jupyter?.lastWriteDisplayData === 'function') {
    const transient = { display_id: randomBytes(8).toString('hex') };
    let update = false;
    return {
      show(data, metadata) {
        jupyter.lastWriteDisplayData?.({ data, metadata, transient }, update);
        update = true;
      },
    };
  }
  if (jupyter !== undefined) return undefined; // tslab loaded, no cell running
  const output = tslabPublic()?.newDisplay?.();
  return (
    output && {
      show(data) {
        if (data['image/png'] !== undefined) output.png(Buffer.from(String(data['image/png']), 'base64'));
      },
    }
  );
}

/**
 * Calls `fn` once when the running cell ends, before the kernel replies, so that its output is part of
 * the cell wherever the notebook is run (JupyterLab, nbclient, the runner). The d2l-ts kernel calls the
 * functions it finds in the set at `Symbol.for('d2l-ts.postExecute')`, as IPython's `post_execute`
 * event lets matplotlib draw a cell's figures when the cell ends. In another tslab kernel, `fn` runs
 * `fallbackMs` after the last call instead: JupyterLab still updates the output by its display id.
 */
export function atCellEnd(fn: () => void, fallbackMs: number): void {
  const hooks = (globalThis as Record<symbol, unknown>)[Symbol.for('d2l-ts.postExecute')];
  if (hooks instanceof Set) {
    hooks.add(fn);
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
