/**
 * `plot` and `set_figsize`, the book's plotting helpers (section 2.4), drawn with vega-lite.
 *
 * Inside a tslab notebook `plot` shows the figure as one output carrying three MIME types: the
 * vega-lite spec (JupyterLab and VS Code draw it), an SVG rendered here (classic Notebook, nbconvert
 * HTML, GitHub) and a one-line text summary; it returns undefined so that tslab prints nothing else.
 * Elsewhere (node scripts, tests) it returns the `Figure` to inspect or save. `figure` always returns it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import type { TopLevelSpec } from 'vega-lite';
import { parseFmt } from './plot-fmt';
import { toSeries } from './plot-data';
import type { PlotData, Series } from './plot-data';
import { buildSpec, resolveStyles, PX_PER_INCH } from './plot-spec';
import type { Scale } from './plot-spec';
import { renderSvg, svgToPng } from './plot-render';
import { kernelSender } from './plot-display';
import type { DisplaySender, MimeBundle } from './plot-display';

export type { PlotData, Vector } from './plot-data';
export type { MimeBundle, DisplaySender } from './plot-display';
export type { Scale } from './plot-spec';

/** The book's options of `plot` (keyword arguments there). */
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
   * matplotlib format strings, one per series: colour (`b g r c m y k w`, `C0`-`C9`), line style
   * (`-` `--` `-.` `:`) and marker (`. , o v ^ < > s D d p h * P + x | _`). A marker alone draws
   * points only, e.g. `['o']` or `['b.']` for a scatter plot. More series than formats: the formats
   * repeat without their colours, taking the next colours of matplotlib's cycle instead.
   */
  fmts?: readonly string[];
  /** Width and height in inches (100 px each); default 3.5 × 2.5, see `set_figsize`. */
  figsize?: readonly [number, number];
}

const OPTION_NAMES = ['xlabel', 'ylabel', 'legend', 'xlim', 'ylim', 'xscale', 'yscale', 'fmts', 'figsize'];
export const DEFAULT_FMTS: readonly string[] = ['-', 'm--', 'g-.', 'r:'];
let defaultFigsize: readonly [number, number] = [3.5, 2.5];

/** Sets the default figure size in inches for later plots, like the book's `d2l.set_figsize`. */
export function set_figsize(figsize: readonly [number, number] = [3.5, 2.5]): void {
  defaultFigsize = checkFigsize(figsize, 'set_figsize: figsize');
}

function checkFigsize(figsize: unknown, name: string): [number, number] {
  const ok =
    Array.isArray(figsize) &&
    figsize.length === 2 &&
    figsize.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0);
  if (!ok) {
    throw new Error(`${name} must be [width, height] in inches, both positive; got ${util.inspect(figsize)}`);
  }
  return [figsize[0], figsize[1]];
}

/** A rendered figure: its vega-lite spec, SVG and (when resvg loads) PNG. */
export class Figure {
  /** The PNG, rendered on first use; undefined when `@resvg/resvg-js` is unavailable. */
  private pngCache: Buffer | undefined | null = null;

  constructor(
    /** The vega-lite v5 spec, with its data inline. */
    readonly spec: TopLevelSpec,
    /** The SVG rendering. */
    readonly svg: string,
    /** A one-line description (the bundle's text/plain). */
    readonly summary: string,
  ) {}

  /** The figure as a PNG at twice its size in pixels, or undefined when resvg is unavailable. */
  get png(): Buffer | undefined {
    if (this.pngCache === null) this.pngCache = svgToPng(this.svg);
    return this.pngCache;
  }

  /** The MIME bundle `plot` displays in a notebook; with a PNG at 1× when resvg is available. */
  bundle(): MimeBundle {
    const png = svgToPng(this.svg, 1);
    return {
      'application/vnd.vegalite.v5+json': this.spec,
      'image/svg+xml': this.svg,
      ...(png === undefined ? {} : { 'image/png': png.toString('base64') }),
      'text/plain': this.summary,
    };
  }

  /** Writes the figure to `file`: `.svg`, `.png` or `.json` (the vega-lite spec), by extension. */
  save(file: string): void {
    if (typeof file !== 'string') {
      throw new Error(
        `Figure.save: file must be a string ending in .svg, .png or .json; got ${util.inspect(file)}`,
      );
    }
    const ext = path.extname(file).toLowerCase();
    if (ext === '.svg') fs.writeFileSync(file, this.svg);
    else if (ext === '.json') fs.writeFileSync(file, JSON.stringify(this.spec, null, 1));
    else if (ext === '.png') {
      const png = this.png;
      if (png === undefined) throw new Error('Figure.save: PNG needs the optional package @resvg/resvg-js');
      fs.writeFileSync(file, png);
    } else throw new Error(`Figure.save: file must end in .svg, .png or .json; got '${file}'`);
  }

  toString(): string {
    return this.summary;
  }

  [util.inspect.custom](): string {
    return this.summary;
  }
}

/**
 * Builds the figure of `plot` without displaying it.
 *
 * @param X the x values, or the series themselves when Y is omitted (plotted against their index).
 *   A vector (number array, typed array, 1-D tensor, or a tensor shaped [n, 1]) is one series; an
 *   array of vectors or a 2-D tensor [k, n] is k series. One X series is repeated for every Y series.
 * @param Y the y values, the same way.
 */
export function figure(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure {
  if (typeof options !== 'object' || options === null) {
    throw new Error(`plot: options must be an object such as { xlabel: 'x' }; got ${util.inspect(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new Error(`plot: unknown option '${key}'; expected one of ${OPTION_NAMES.join(', ')}`);
    }
  }
  const xscale = checkScale(options.xscale, 'xscale');
  const yscale = checkScale(options.yscale, 'yscale');
  const figsize =
    options.figsize === undefined ? defaultFigsize : checkFigsize(options.figsize, 'plot: figsize');
  const fmts = options.fmts ?? DEFAULT_FMTS;
  if (!Array.isArray(fmts) || fmts.length === 0) {
    throw new Error(`plot: fmts must be a non-empty array of format strings; got ${util.inspect(fmts)}`);
  }
  const styles = fmts.map((f: string, i: number) => parseFmt(f, `fmts[${i}]`));
  const series = toSeries(X, Y, { x: xscale === 'log', y: yscale === 'log' });
  const legend = checkLegend(options.legend, series.length);
  const xlim = checkLim(options.xlim, 'xlim', xscale);
  const ylim = checkLim(options.ylim, 'ylim', yscale);
  const xlabel = checkLabel(options.xlabel, 'xlabel');
  const ylabel = checkLabel(options.ylabel, 'ylabel');

  const resolved = resolveStyles(series.length, styles);
  const spec = buildSpec(series, resolved, { xlabel, ylabel, legend, xlim, ylim, xscale, yscale, figsize });
  const [width, height] = figsize.map((inches) => Math.round(inches * PX_PER_INCH));
  const summary = describe(
    width,
    height,
    series,
    legend,
    { label: xlabel, scale: xscale },
    { label: ylabel, scale: yscale },
  );
  return new Figure(spec, renderSvg(spec, width, height), summary);
}

/**
 * Plots data points, like the book's `d2l.plot`: in a tslab notebook the figure is displayed (one
 * output with vega-lite, SVG and text) and undefined returned; elsewhere the `Figure` is returned.
 *
 * @example
 * d2l.plot(x, params.map(([mu, sigma]) => normal(x, mu, sigma)), {
 *   xlabel: 'x', ylabel: 'p(x)', figsize: [4.5, 2.5],
 *   legend: params.map(([mu, sigma]) => `mean ${mu}, std ${sigma}`),
 * });
 */
export function plot(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure | undefined {
  return show(figure(X, Y, options));
}

/** Displays `fig` in the running tslab cell (returning undefined), or returns it outside a kernel. */
export function show(fig: Figure, send: DisplaySender | undefined = kernelSender()): Figure | undefined {
  if (!(fig instanceof Figure)) {
    throw new Error(`show: fig must be a Figure (from d2l.figure); got ${util.inspect(fig, { depth: 0 })}`);
  }
  if (send === undefined) return fig;
  send(fig.bundle());
  return undefined;
}

/** The one-line text/plain form, e.g. `<Figure 450×250 px: 3 series (a; b; c), 4203 points; x: x; y: p(x)>`. */
function describe(
  width: number,
  height: number,
  series: Series[],
  legend: string[] | undefined,
  ...axes: Array<{ label: string | undefined; scale: Scale }>
): string {
  const points = series.reduce((n, s) => n + s.x.length, 0);
  const names = legend === undefined ? '' : ` (${legend.join('; ')})`;
  const [x, y] = axes.map(({ label, scale }) => `${label ?? '(no label)'}${scale === 'log' ? ', log' : ''}`);
  return `<Figure ${width}×${height} px: ${series.length} series${names}, ${points} points; x: ${x}; y: ${y}>`;
}

function checkScale(scale: unknown, name: string): Scale {
  if (scale === undefined) return 'linear';
  if (scale !== 'linear' && scale !== 'log') {
    throw new Error(`plot: ${name} must be 'linear' or 'log'; got ${util.inspect(scale)}`);
  }
  return scale;
}

function checkLabel(label: unknown, name: string): string | undefined {
  if (label === undefined || typeof label === 'string') return label;
  throw new Error(`plot: ${name} must be a string; got ${util.inspect(label)}`);
}

function checkLegend(legend: unknown, count: number): string[] | undefined {
  // The book's default is an empty list: no legend.
  if (legend === undefined || (Array.isArray(legend) && legend.length === 0)) return undefined;
  if (!Array.isArray(legend) || !legend.every((l) => typeof l === 'string')) {
    throw new Error(`plot: legend must be an array of strings, one per series; got ${util.inspect(legend)}`);
  }
  if (legend.length !== count) {
    throw new Error(`plot: legend has ${legend.length} entries but there are ${count} series`);
  }
  if (new Set(legend).size !== legend.length) {
    throw new Error(`plot: legend entries must be distinct; got ${util.inspect(legend)}`);
  }
  return [...legend];
}

function checkLim(lim: unknown, name: string, scale: Scale): [number, number] | undefined {
  if (lim === undefined) return undefined;
  const ok =
    Array.isArray(lim) &&
    lim.length === 2 &&
    lim.every((v) => typeof v === 'number' && Number.isFinite(v) && (scale === 'linear' || v > 0)) &&
    lim[0] !== lim[1];
  if (!ok) {
    const positive = scale === 'log' ? ' positive (the axis is log)' : '';
    throw new Error(
      `plot: ${name} must be [low, high], two different finite${positive} numbers; got ${util.inspect(lim)}`,
    );
  }
  return [lim[0], lim[1]];
}
