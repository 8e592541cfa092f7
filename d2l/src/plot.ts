/**
 * `plot` and `set_figsize`, the book's plotting helpers (section 2.4), drawn with vega-lite.
 *
 * In a tslab notebook `plot` shows one output holding the vega-lite spec (JupyterLab and VS Code draw
 * it) and a PNG at twice the figure's pixel density (nbconvert, GitHub and the classic Notebook show
 * that), and returns undefined. Elsewhere it returns the `Figure`; `figure` always does.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tf from '@tensorflow/tfjs';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { encodePng, kernelDisplay } from './plot-output';

/** A series of numbers: an array, a typed array or a tensor with one dimension longer than 1. */
export type Vector = readonly number[] | Float32Array | Float64Array | Int32Array | tf.Tensor;
/** One series, several series (an array of them), or a 2-D tensor [k, n] of k series. */
export type PlotData = Vector | readonly Vector[];
export type Scale = 'linear' | 'log';

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

export const DEFAULT_FMTS: readonly string[] = ['-', 'm--', 'g-.', 'r:'];
const PX_PER_INCH = 100;
let defaultFigsize: readonly [number, number] = [3.5, 2.5];

/** Sets the default figure size in inches for later plots, like the book's `d2l.set_figsize`. */
export function set_figsize(figsize: readonly [number, number] = [3.5, 2.5]): void {
  defaultFigsize = figsize;
}

/**
 * Plots data points, like the book's `d2l.plot`: X against Y, or Y alone against its index.
 * One X series is repeated for every series of Y.
 *
 * @example
 * d2l.plot(x, [y1, y2], { xlabel: 'x', legend: ['y1', 'y2'], fmts: ['-', 'r:'] });
 */
export function plot(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure | undefined {
  const fig = figure(X, Y, options);
  const display = kernelDisplay();
  if (display === undefined) return fig;
  display(fig.bundle(), { 'image/png': { width: fig.width, height: fig.height } });
  return undefined;
}

/** A figure: its vega-lite spec, and its SVG and PNG rendered on first use. */
export class Figure {
  private rendered: { svg?: string; png?: Buffer | null } = {};

  constructor(
    /** The vega-lite v5 spec, with its data inline. */
    readonly spec: TopLevelSpec,
    readonly width: number,
    readonly height: number,
  ) {}

  /** The figure as SVG. */
  get svg(): string {
    return (this.rendered.svg ??= renderSvg(this.spec, this.width, this.height));
  }

  /** The figure as PNG at 2 pixels per px, or undefined when the optional `@resvg/resvg-js` is missing. */
  get png(): Buffer | undefined {
    if (this.rendered.png === undefined) this.rendered.png = rasterise(this.svg, 2) ?? null;
    return this.rendered.png ?? undefined;
  }

  /** The MIME bundle `plot` displays in a notebook. */
  bundle(): Record<string, unknown> {
    const png = this.png;
    return {
      'application/vnd.vegalite.v5+json': this.spec,
      ...(png === undefined ? {} : { 'image/png': png.toString('base64') }),
      'text/plain': `<Figure ${this.width}×${this.height}>`,
    };
  }

  /** Writes the figure to `file`, as `.png`, `.svg` or `.json` (the vega-lite spec) by its extension. */
  save(file: string): void {
    const ext = path.extname(file).toLowerCase();
    const png = ext === '.png' ? this.png : undefined;
    if (ext === '.png' && png === undefined) throw new Error('Figure.save: PNG needs @resvg/resvg-js');
    const data = { '.png': png, '.svg': this.svg, '.json': JSON.stringify(this.spec) }[ext];
    if (data === undefined)
      throw new Error(`Figure.save: file must end in .png, .svg or .json; got '${file}'`);
    fs.writeFileSync(file, data);
  }
}

/** Builds the figure of `plot` without displaying it. */
export function figure(X: PlotData, Y?: PlotData, options: PlotOptions = {}): Figure {
  const { xlabel, ylabel, legend, xlim, ylim, xscale = 'linear', yscale = 'linear' } = options;
  const [fmts, figsize] = [options.fmts ?? DEFAULT_FMTS, options.figsize ?? defaultFigsize];
  const all = toSeries(X, Y);
  if (legend !== undefined && legend.length > 0 && legend.length !== all.length) {
    throw new Error(`plot: legend has ${legend.length} labels for ${all.length} series`);
  }
  const styles = all.map((_, i) => parseFmt(fmts[i % fmts.length], i >= fmts.length));
  let next = 0; // series without a colour take the next of matplotlib's cycle
  for (const style of styles) style.color ||= CYCLE[next++ % CYCLE.length];
  const [width, height] = figsize.map((inches) => Math.round(inches * PX_PER_INCH));
  const [xs, ys] = [all.map((s) => s.x), all.map((s) => s.y)];
  const [x, y] = [axis(xs, xscale, xlim), axis(ys, yscale, ylim)];
  const labels = legend !== undefined && legend.length > 0 ? legend : undefined;

  // The data, compactly: one row per distinct X holding every series' y values as arrays, unpacked
  // by vega-lite's flatten and fold into points {x, y, s} (s: the series' index). On a linear axis
  // the values are whole multiples of the axis' step (a thousandth of it, a fraction of a pixel).
  const keys = all.map((_, i) => String(i));
  const values = [...new Set(xs)].map((shared) => ({
    x: x.round(shared),
    ...Object.fromEntries(all.map((s, i) => [keys[i], s.x === shared ? y.round(s.y) : []])),
  }));
  const transform: object[] = [{ flatten: ['x', ...keys] }, { fold: keys, as: ['s', 'y'] }];
  transform.push({ filter: 'datum.y != null' }); // a shorter series' padding
  if (x.step !== 1) transform.push({ calculate: `datum.x * ${x.step}`, as: 'x' });
  if (y.step !== 1) transform.push({ calculate: `datum.y * ${y.step}`, as: 'y' });
  if (labels) transform.push({ calculate: `${JSON.stringify(labels)}[datum.s]`, as: 'series' });

  // With a legend, colour and dash (or marker shape) come from scales over the labels, which vega-lite
  // merges into one legend.
  const byLabel = (range: unknown[]) => ({
    field: 'series',
    type: 'nominal',
    scale: { domain: labels, range },
  });
  const legendDef = labels && { title: null, orient: legendCorner() };
  const clip = xlim !== undefined || ylim !== undefined;
  const layer = styles.map((style, i) => {
    const point = style.marker && {
      filled: style.marker.filled,
      shape: style.marker.shape,
      size: style.marker.size,
    };
    const dash = style.line?.length ? { strokeDash: style.line } : {};
    const mark = style.line
      ? { type: 'line', color: style.color, strokeWidth: 2, order: false, ...dash, ...(point && { point }) }
      : { type: 'point', color: style.color, opacity: 1, ...point };
    const channel = style.line ? 'strokeDash' : 'shape';
    const range = styles.map((s) =>
      style.line ? (s.line?.length ? s.line : [1, 0]) : (s.marker?.shape ?? 'stroke'),
    );
    const encoding = labels && {
      encoding: {
        color: { ...byLabel(styles.map((s) => s.color)), legend: legendDef },
        [channel]: byLabel(range),
      },
    };
    return { transform: [{ filter: `datum.s === '${i}'` }], mark: { ...mark, clip }, ...encoding };
  });

  /** The corner of the plot area whose legend-sized box holds the fewest points (matplotlib's 'best'). */
  function legendCorner(): string {
    const box = [Math.min(0.5, (60 + 6.5 * Math.max(...(labels ?? []).map((l) => l.length))) / width)];
    box.push(Math.min(0.5, (10 + 16 * all.length) / height));
    const corners = ['top-right', 'top-left', 'bottom-left', 'bottom-right'];
    const crowd = corners.map((corner) =>
      all.reduce((n, s) => {
        for (let j = 0; j < s.x.length; j++) {
          const [u, v] = [x.unit(s.x[j]), y.unit(s.y[j])];
          const inX = corner.endsWith('right') ? u > 1 - box[0] : u < box[0];
          if (inX && (corner.startsWith('top') ? v > 1 - box[1] : v < box[1])) n++;
        }
        return n;
      }, 0),
    );
    return corners[crowd.indexOf(Math.min(...crowd))];
  }

  const scale = (a: Axis) => ({
    type: a.scale,
    domain: a.domain,
    nice: false,
    ...(a.scale === 'linear' && { zero: false }),
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: { left: 5, top: 5, right: 10, bottom: 5 },
    background: 'white',
    // As one JSON string: a notebook file would put every number of an array on a line of its own.
    data: { values: JSON.stringify(values), format: { type: 'json' } },
    transform,
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: scale(x), axis: { title: xlabel ?? null } },
      y: { field: 'y', type: 'quantitative', scale: scale(y), axis: { title: ylabel ?? null } },
    },
    layer,
    config: {
      font: fontFamily([xlabel, ylabel, ...(labels ?? [])].join('')),
      view: { stroke: '#000', strokeWidth: 0.8 },
      axis: {
        domain: false,
        gridColor: '#ddd',
        tickColor: '#000',
        labelColor: '#000',
        titleColor: '#000',
        titleFontWeight: 'normal',
        titleFontSize: 12,
        labelFontSize: 11,
      },
      axisX: { tickCount: Math.max(2, Math.round(width / 80)) },
      axisY: { tickCount: Math.max(2, Math.round(height / 50)) },
      legend: { fillColor: 'rgba(255, 255, 255, 0.8)', strokeColor: '#ccc', padding: 5, cornerRadius: 3 },
    },
  };
  return new Figure(spec as TopLevelSpec, width, height);
}

const LATIN_FONTS = 'DejaVu Sans, Helvetica, Arial'; // matplotlib's font first
// Noto Sans CJK (Linux: fonts-noto-cjk), macOS's PingFang, Windows's Microsoft YaHei.
const CJK_FONTS = 'Noto Sans CJK SC, PingFang SC, Microsoft YaHei';
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/;

/**
 * The figure's font list, for the labels and legend in `text`. With Chinese, Japanese or Korean
 * characters a CJK font comes first: the PNG renderer (resvg) takes a glyph missing from the first
 * installed font from whichever font it loaded first, not from the next one in the list as a browser
 * does, and would mix serif Han characters into sans-serif labels.
 */
function fontFamily(text: string): string {
  return CJK.test(text) ? `${CJK_FONTS}, ${LATIN_FONTS}, sans-serif` : `${LATIN_FONTS}, sans-serif`;
}

/** One series: the x and y values of its points. */
interface Series {
  x: Float64Array;
  y: Float64Array;
}

/**
 * The book's rules: a vector is one series; Y omitted plots X against its index; one X series is
 * repeated for every series of Y.
 */
function toSeries(X: PlotData, Y: PlotData | undefined): Series[] {
  const xs = seriesOf(X);
  if (Y === undefined) return xs.map((y) => ({ x: Float64Array.from(y, (_, i) => i), y }));
  const ys = seriesOf(Y);
  if (xs.length !== 1 && xs.length !== ys.length) {
    throw new Error(`plot: X holds ${xs.length} series and Y ${ys.length}; X must hold one, or as many as Y`);
  }
  return ys.map((y, i) => {
    const x = xs[xs.length === 1 ? 0 : i];
    if (x.length !== y.length)
      throw new Error(`plot: series ${i} has ${x.length} x values and ${y.length} y`);
    return { x, y };
  });
}

function seriesOf(data: PlotData): Float64Array[] {
  if (isTensor(data)) {
    const values = Float64Array.from(data.dataSync());
    if (data.shape.filter((d) => d > 1).length <= 1) return [values];
    const [rows, cols] = data.shape;
    if (data.rank !== 2) throw new Error(`plot: a tensor of series must be 2-D [k, n]; got [${data.shape}]`);
    return Array.from({ length: rows }, (_, r) => values.subarray(r * cols, (r + 1) * cols));
  }
  const first = (data as readonly unknown[])[0];
  if (isTensor(first) || ArrayBuffer.isView(first) || Array.isArray(first)) {
    return (data as readonly Vector[]).flatMap(seriesOf);
  }
  return [Float64Array.from(data as readonly number[])];
}

const isTensor = (v: unknown): v is tf.Tensor =>
  typeof (v as tf.Tensor | undefined)?.dataSync === 'function' && Array.isArray((v as tf.Tensor).shape);

interface Axis {
  scale: Scale;
  domain: [number, number];
  /** Position in the plot area, 0 at the low end and 1 at the high end. */
  unit(v: number): number;
  /** The data's unit: a thousandth of a linear axis as a power of ten, 1 on a log axis. */
  step: number;
  /** Values as whole steps on a linear axis, to 4 digits on a log axis: a fraction of a pixel. */
  round(values: Float64Array): number[];
}

/** The axis' domain: `lim`, or the data's extent with matplotlib's 5 % margins. */
function axis(series: Float64Array[], scale: Scale, lim: readonly [number, number] | undefined): Axis {
  const f = scale === 'log' ? Math.log10 : (v: number) => v;
  const finite = series.flatMap((s) => Array.from(s, f)).filter(Number.isFinite);
  let [lo, hi] = lim ? lim.map(f) : [Math.min(...finite), Math.max(...finite)];
  if (!lim) [lo, hi] = hi > lo ? [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)] : [lo - 0.5, hi + 0.5];
  if (!Number.isFinite(lo + hi)) [lo, hi] = [0, 1];
  const log = scale === 'log';
  const step = log ? 1 : 10 ** Math.min(0, Math.floor(Math.log10(Math.abs(hi - lo) / 1000)));
  return {
    scale,
    domain: log ? [10 ** lo, 10 ** hi] : [lo, hi],
    unit: (v) => (f(v) - lo) / (hi - lo),
    step,
    round: (values) => Array.from(values, (v) => (log ? Number(v.toPrecision(4)) : Math.round(v / step))),
  };
}

interface Style {
  color: string;
  /** The dash pattern in px ([] for a solid line), or undefined for points only. */
  line: number[] | undefined;
  marker: { shape: string; filled: boolean; size: number } | undefined;
}

// matplotlib's single-letter colours, its default cycle (C0–C9), dashes (its, at 100 px per inch) and
// markers (vega's shapes, or SVG paths in the unit square).
// prettier-ignore
const COLORS: Record<string, string> = {
  b: '#0000ff', g: '#008000', r: '#ff0000', c: '#00bfbf', m: '#bf00bf', y: '#bfbf00', k: '#000000', w: '#ffffff',
};
// prettier-ignore
const CYCLE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const LINES: Record<string, number[]> = {
  '--': [7.4, 3.2],
  '-.': [12.8, 3.2, 2, 3.2],
  '-': [],
  ':': [2, 3.3],
};
// prettier-ignore
const MARKERS: Record<string, string> = {
  '.': 'circle', o: 'circle', s: 'square', '^': 'triangle-up', v: 'triangle-down', '<': 'triangle-left',
  '>': 'triangle-right', D: 'diamond', d: 'diamond', '+': 'M-1,0H1M0,-1V1', x: 'M-1,-1L1,1M-1,1L1,-1',
  '*': 'M0,-1L.22,-.31L.95,-.31L.36,.12L.59,.81L0,.38L-.59,.81L-.36,.12L-.95,-.31L-.22,-.31Z',
};

/**
 * Parses a matplotlib format string such as `'m--'`, `'b.'` or `'C1o-'`. Without a colour, series
 * `cycled` (past the last format) takes the next colour of matplotlib's cycle.
 */
function parseFmt(fmt: string, cycled: boolean): Style {
  let rest = fmt;
  const take = (re: RegExp): string | undefined => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(0, m.index) + rest.slice(m.index + m[0].length);
    return m?.[0];
  };
  const line = take(/--|-\.|-|:/);
  const color = take(/C\d|[bgrcmykw]/);
  const marker = take(/[.os^v<>Dd+x*]/);
  if (rest !== '') throw new Error(`plot: '${fmt}' is not a matplotlib format string`);
  return {
    color: !cycled && color ? (COLORS[color] ?? CYCLE[Number(color.slice(1))]) : '',
    line: line !== undefined || marker === undefined ? LINES[line ?? '-'] : undefined,
    marker:
      marker === undefined
        ? undefined
        : { shape: MARKERS[marker], filled: !'+x'.includes(marker), size: marker === '.' ? 12 : 40 },
  };
}

/**
 * Renders `spec` to SVG synchronously: `plot` must finish within its cell, and vega's `toSVG` is
 * async only because it awaits data loading. With inline data, `run` lays the scene out at once and
 * vega's headless SVG renderer (`renderModule('svg').headless`) draws it; a test checks that this is
 * byte for byte what `toSVG` gives.
 */
export function renderSvg(spec: TopLevelSpec, width: number, height: number): string {
  const view = new vega.View(vega.parse(compile(structuredClone(spec)).spec), { renderer: 'none' });
  try {
    view.run();
    // renderModule(name) returns the module (vega's typings only declare the two-argument setter).
    const svgModule = (vega.renderModule as unknown as (name: string) => { headless: SvgRendererClass })(
      'svg',
    );
    const { left, top } = view.padding() as { left: number; top: number };
    const [x, y] = view.origin();
    return new svgModule.headless(view.loader())
      .initialize(null, width, height, [x + left, y + top], 1)
      .background(view.background())
      .render((view.scenegraph() as unknown as { root: unknown }).root)
      .svg();
  } finally {
    view.finalize();
  }
}

interface RenderedImage {
  width: number;
  height: number;
  pixels: Buffer;
}

type SvgRendererClass = new (loader: unknown) => SvgRenderer;
interface SvgRenderer {
  initialize(el: null, width: number, height: number, origin: number[], scaleFactor: number): this;
  background(color: unknown): this;
  render(scene: unknown): this;
  svg(): string;
}

/** The SVG as PNG at `scale` pixels per px, with the system's fonts; undefined without resvg. */
function rasterise(svg: string, scale: number): Buffer | undefined {
  let resvg: { Resvg: new (svg: string, options: object) => { render(): RenderedImage } };
  try {
    resvg = require('@resvg/resvg-js'); // eslint-disable-line @typescript-eslint/no-require-imports
  } catch {
    return undefined;
  }
  const image = new resvg.Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true },
  });
  const { width, height, pixels } = image.render();
  return encodePng(width, height, pixels);
}
