/**
 * `plot` and `set_figsize`, the book's plotting helpers (section 2.4), drawn with vega-lite.
 *
 * In a tslab notebook `plot` shows one output holding the vega-lite spec (JupyterLab and VS Code draw
 * it) and a PNG at twice the figure's pixel density (nbconvert, GitHub and the classic Notebook show
 * that), and returns undefined. Elsewhere it returns the `Figure`; `figure` always does.
 *
 * What matplotlib does for the book lives in ./figure: the series (series.ts), the format strings
 * (formats.ts), the vega-lite spec (spec.ts), SVG and PNG rendering (render.ts, png.ts) and the
 * notebook display (display.ts).
 */
import { Figure } from './figure/figure';
import { DEFAULT_FMTS, stylesOf } from './figure/formats';
import { toSeries } from './figure/series';
import type { PlotData } from './figure/series';
import { vegaLiteSpec } from './figure/spec';
import type { Scale } from './figure/spec';
import { kernelDisplay } from './figure/display';

/** The book's keyword arguments of `plot`. */
export interface PlotOptions {
  xlabel?: string;
  ylabel?: string;
  /** One label per series; without it there is no legend. */
  legend?: readonly string[];
  xlim?: readonly [number, number];
  ylim?: readonly [number, number];
  xscale?: Scale;
  yscale?: Scale;
  /**
   * matplotlib format strings, one per series: a colour (`b g r c m y k w`, `C0`–`C9`), a line style
   * (`-` `--` `-.` `:`) and a marker (`. o s ^ v < > D d + x *`), each optional. A marker without a
   * line style draws points only (`'b.'` is a scatter plot). Past the last format they repeat in the
   * next colours of matplotlib's cycle.
   */
  fmts?: readonly string[];
  /** Width and height in inches, at 100 px each; default 3.5 × 2.5 (see `set_figsize`). */
  figsize?: readonly [number, number];
}

const PX_PER_INCH = 100;
let defaultFigsize: readonly [number, number] = [3.5, 2.5];

/** Sets the default figure size in inches for later plots, like the book's `d2l.set_figsize`. */
export function set_figsize(figsize: readonly [number, number] = [3.5, 2.5]): void {
  defaultFigsize = checkFigsize(figsize, 'set_figsize');
}

/**
 * Plots data points, like the book's `d2l.plot`: X against Y, or Y alone against its index.
 * One X series is repeated for every series of Y. NaN breaks a line, and values that are not
 * positive are left off a log axis, as matplotlib does.
 *
 * @example
 * d2l.plot(x, [y1, y2], { xlabel: 'x', legend: ['y1', 'y2'], fmts: ['-', 'r:'] });
 */
export function plot(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure | undefined {
  const fig = figure(X, Y, options);
  const display = kernelDisplay();
  if (display === undefined) return fig;
  display(fig.bundle(), fig.metadata());
  return undefined;
}

/** Builds the figure of `plot` without displaying it. */
export function figure(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure {
  const { legend, xscale = 'linear', yscale = 'linear' } = options;
  const figsize = checkFigsize(options.figsize ?? defaultFigsize, 'plot');
  const all = toSeries(X, Y);
  if (legend !== undefined && legend.length > 0 && legend.length !== all.length) {
    throw new Error(`plot: legend has ${legend.length} labels for ${all.length} series`);
  }
  const styles = stylesOf(options.fmts ?? DEFAULT_FMTS, all.length);
  const [width, height] = figsize.map((inches) => Math.round(inches * PX_PER_INCH));
  const labels = legend !== undefined && legend.length > 0 ? legend : undefined;
  const spec = vegaLiteSpec(all, styles, { ...options, labels, xscale, yscale, width, height });
  return new Figure(spec, width, height);
}

/** A figure size must be two positive inches: a zero or negative one would only fail when drawn. */
export function checkFigsize(figsize: readonly [number, number], op: string): readonly [number, number] {
  if (figsize.length !== 2 || !figsize.every((v) => Number.isFinite(v) && v > 0)) {
    throw new Error(`${op}: figsize must be two positive numbers (inches); got [${figsize.join(', ')}]`);
  }
  return figsize;
}
