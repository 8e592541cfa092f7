/**
 * Sending a figure to the tslab kernel's output as ONE display_data message.
 *
 * tslab's public `display` sends one MIME type per message, so a front end would show the figure
 * several times. tslab's own `jupyter` module holds `lastWriteDisplayData`, the function the kernel
 * set for the running cell, which sends a whole MIME bundle at once. It is internal API, so:
 * - we look for the tslab copy the kernel actually loaded (in `require.cache`), not the one our own
 *   `require` would resolve: two copies would not share the running cell's sender;
 * - when that function is missing (tslab changed), we fall back to the public `display.svg`, which
 *   still shows the figure everywhere but without the interactive vega-lite view.
 * Outside a kernel no tslab module is loaded (or its sender is unset), and `plot` returns its figure.
 */
import * as path from 'path';

/** The MIME bundle of a figure, as Jupyter's display_data carries it. */
export interface MimeBundle {
  'application/vnd.vegalite.v5+json': object;
  'image/svg+xml': string;
  'text/plain': string;
  /** Base64, at the figure's size: for viewers that show no SVG or vega-lite (GitHub's, for one). */
  'image/png'?: string;
}

/** Sends one bundle to the running cell's output. */
export type DisplaySender = (bundle: MimeBundle) => void;

interface TslabJupyter {
  lastWriteDisplayData?: unknown;
}
interface TslabPublic {
  display?: { svg?: (s: string) => void };
}

type WriteDisplayData = (
  message: { data: MimeBundle; metadata: object; transient: object },
  update: boolean,
) => void;

function loadedTslabModules(file: 'jupyter.js' | 'public.js'): unknown[] {
  const suffix = ['', 'tslab', 'dist', file].join(path.sep);
  return Object.keys(require.cache)
    .filter((key) => key.endsWith(suffix))
    .map((key) => require.cache[key]?.exports);
}

/** The running tslab kernel's display sender, or undefined when not inside a tslab kernel. */
export function kernelSender(): DisplaySender | undefined {
  const jupyters = loadedTslabModules('jupyter.js') as Array<TslabJupyter | undefined>;
  if (jupyters.length === 0) return undefined;
  // The kernel sets lastWriteDisplayData when it starts executing a cell.
  const active = jupyters.find((j) => typeof j?.lastWriteDisplayData === 'function');
  if (active !== undefined) {
    const write = active.lastWriteDisplayData as WriteDisplayData;
    return (bundle) => write({ data: bundle, metadata: {}, transient: {} }, false);
  }
  // tslab is loaded but no cell is running (e.g. a script that imports tslab).
  if (jupyters.some((j) => j !== undefined && 'lastWriteDisplayData' in j)) return undefined;
  // tslab's internals moved: show the SVG through its public display.
  const display = (loadedTslabModules('public.js') as Array<TslabPublic | undefined>).find(
    (p) => typeof p?.display?.svg === 'function',
  )?.display;
  if (display?.svg === undefined) return undefined;
  const svg = display.svg.bind(display);
  return (bundle) => svg(bundle['image/svg+xml']);
}
