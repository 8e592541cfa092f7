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
import { kernelDisplay, whenKernelIdle } from './figure/display';

/**
 * The book's keyword arguments of `plot`, also those of `figure` and `Animator`. Defined in section 2.4
 * of the book; these notebooks use it from 3.1.
 *
 * @example
 * const options: d2l.PlotOptions = { xlabel: 'x', ylabel: 'p(x)', figsize: [4.5, 2.5] };
 */
export interface PlotOptions {
  /** The x axis's title. */
  xlabel?: string;
  /** The y axis's title. */
  ylabel?: string;
  /** One label per series; without it there is no legend. */
  legend?: readonly string[];
  /** The x axis's range `[min, max]`; by default the data's. */
  xlim?: readonly [number, number];
  /** The y axis's range `[min, max]`; by default the data's. */
  ylim?: readonly [number, number];
  /** `'linear'` (the default) or `'log'`. */
  xscale?: Scale;
  /** `'linear'` (the default) or `'log'`. */
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

/**
 * Sets the default figure size in inches for later plots, like the book's `d2l.set_figsize`. Defined in
 * section 2.4 of the book; these notebooks use it from 3.1.
 *
 * @param figsize width and height in inches (100 px each); default `[3.5, 2.5]`.
 * @example
 * d2l.set_figsize([4.5, 2.5]);
 */
export function set_figsize(figsize: readonly [number, number] = [3.5, 2.5]): void {
  defaultFigsize = checkFigsize(figsize, 'set_figsize');
}

/**
 * Plots data points, like the book's `d2l.plot`: X against Y, or Y alone against its index.
 * One X series is repeated for every series of Y. NaN breaks a line, and values that are not
 * positive are left off a log axis, as matplotlib does. Defined in section 2.4 of the book; these
 * notebooks use it from 3.1.
 *
 * In a tslab notebook it displays the figure (a vega-lite spec and a 2× PNG) and returns undefined;
 * elsewhere it returns the `Figure`.
 *
 * @param X the x values: one series of length n, or Y's values when Y is omitted.
 * @param Y the y values: one series of length n, several (an array of them), or a tensor of shape [k, n].
 * @param options the book's keyword arguments.
 * @example
 * const x = d2l.tf.linspace(-7, 7, 141);
 * d2l.plot(x, [x.square(), x.abs()], { xlabel: 'x', legend: ['x²', '|x|'], fmts: ['-', 'r:'] });
 */
export function plot(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure | undefined {
  const fig = figure(X, Y, options);
  const display = kernelDisplay();
  if (display === undefined) return fig;
  display(fig.bundle(), fig.metadata());
  return undefined;
}

/**
 * Builds the figure of `plot` without displaying it. d2l-ts's own (the book has no counterpart).
 *
 * @param X the x values, as for `plot`.
 * @param Y the y values, as for `plot`.
 * @param options the book's keyword arguments, as for `plot`.
 * @example
 * d2l.figure([1, 2, 3], [1, 4, 9], { xlabel: 'x' }).save('tmp/squares.svg');
 */
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

/**
 * The steps that draw a small figure (two series, a legend, axis titles) to SVG and PNG and throw it
 * away: the first figure of a process costs ~0.1 s more than the next ones (resvg and the font index
 * loaded, vega's code compiled and optimised), and a kernel can pay that while the learner reads.
 * Pure: nothing is shown, no random number is drawn.
 */
export function figureWarmUp(): (() => void)[] {
  let fig: Figure | undefined;
  const x = Array.from({ length: 50 }, (_, i) => i / 10);
  return [
    () =>
      void (fig = figure(x, [x.map(Math.exp), x], {
        xlabel: 'x',
        legend: ['a', 'b'],
        fmts: ['-', '.'],
        yscale: 'log',
      })).svg,
    () => void fig?.png,
  ];
}

// In the d2l-ts kernel, the first figure's extra cost is paid in the kernel's idle time after the cell
// that imports d2l, not in the first cell that plots.
whenKernelIdle(figureWarmUp());
