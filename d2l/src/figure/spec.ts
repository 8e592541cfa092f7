/**
 * The vega-lite spec of a figure: series, styles and the book's keyword arguments in, a v5 spec with its
 * data inline out. matplotlib's look: grid, a framed plot area, 5 % margins, the legend in the corner the
 * curves leave free, and a gap in a line wherever a value is invalid (NaN, or not positive on a log axis).
 */
import type { VegaLiteSpec } from './figure';
import type { Series } from './series';
import type { Style } from './formats';

/**
 * An axis scale of `plot`: `'linear'` or `'log'`, as matplotlib's `xscale` and `yscale`. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * const options: d2l.PlotOptions = { yscale: 'log' satisfies d2l.Scale };
 */
export type Scale = 'linear' | 'log';

/** What the spec needs besides the series and their styles. */
export interface SpecOptions {
  xlabel?: string;
  ylabel?: string;
  /** One label per series, or undefined for no legend. */
  labels?: readonly string[];
  xlim?: readonly [number, number];
  ylim?: readonly [number, number];
  xscale: Scale;
  yscale: Scale;
  /** Pixels. */
  width: number;
  height: number;
}

/** How an invalid point's y is written in the data: JSON has no NaN, and null pads shorter series. */
const INVALID = 'NaN';

export function vegaLiteSpec(all: Series[], styles: Style[], options: SpecOptions): VegaLiteSpec {
  const { xlabel, ylabel, labels, xlim, ylim, width, height } = options;
  const [xs, ys] = [all.map((s) => s.x), all.map((s) => s.y)];
  const [x, y] = [axis(xs, options.xscale, xlim), axis(ys, options.yscale, ylim)];

  // The data, compactly: one row per distinct X holding every series' y values as arrays, unpacked
  // by vega-lite's flatten and fold into points {x, y, s} (s: the series' index). On a linear axis
  // the values are whole multiples of the axis' step (a thousandth of it, a fraction of a pixel).
  const keys = all.map((_, i) => String(i));
  let invalid = false;
  const values = [...new Set(xs)].map((shared) => ({
    x: x.round(shared),
    ...Object.fromEntries(
      all.map((s, i) => {
        if (s.x !== shared) return [keys[i], []];
        return [
          keys[i],
          y.round(s.y).map((v, j) => {
            if (x.valid(s.x[j]) && y.valid(s.y[j])) return v;
            invalid = true;
            return INVALID;
          }),
        ];
      }),
    ),
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
  const legendDef = labels && { title: null, orient: legendCorner(all, x, y, labels, width, height) };
  const clip = xlim !== undefined || ylim !== undefined;
  // matplotlib breaks a line at an invalid point; vega-lite's default would join its neighbours.
  const gaps = invalid ? { invalid: 'break-paths-show-domains' } : {};
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
    return {
      transform: [{ filter: `datum.s === '${i}'` }],
      mark: { ...mark, clip, ...gaps },
      ...encoding,
    };
  });

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
  return spec;
}

/** The corner of the plot area whose legend-sized box holds the fewest points (matplotlib's 'best'). */
function legendCorner(
  all: Series[],
  x: Axis,
  y: Axis,
  labels: readonly string[],
  width: number,
  height: number,
): string {
  const box = [Math.min(0.5, (60 + 6.5 * Math.max(...labels.map((l) => l.length))) / width)];
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

interface Axis {
  scale: Scale;
  domain: [number, number];
  /** Whether a value can be drawn: finite, and positive on a log axis (matplotlib masks the rest). */
  valid(v: number): boolean;
  /** Position in the plot area, 0 at the low end and 1 at the high end. */
  unit(v: number): number;
  /** The data's unit: a thousandth of a linear axis as a power of ten, 1 on a log axis. */
  step: number;
  /** Values as whole steps on a linear axis, to 4 digits on a log axis: a fraction of a pixel. */
  round(values: Float64Array): Array<number | null>;
}

/** The axis' domain: `lim`, or the valid data's extent with matplotlib's 5 % margins. */
function axis(series: Float64Array[], scale: Scale, lim: readonly [number, number] | undefined): Axis {
  const log = scale === 'log';
  const f = log ? Math.log10 : (v: number) => v;
  const valid = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const data = series.flatMap((s) => Array.from(s).filter(valid).map(f));
  let [lo, hi] = lim ? lim.map(f) : [Math.min(...data), Math.max(...data)];
  if (!lim) [lo, hi] = hi > lo ? [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)] : [lo - 0.5, hi + 0.5];
  if (!Number.isFinite(lo + hi)) [lo, hi] = [0, 1];
  const step = log ? 1 : 10 ** Math.min(0, Math.floor(Math.log10(Math.abs(hi - lo) / 1000)));
  return {
    scale,
    domain: log ? [10 ** lo, 10 ** hi] : [lo, hi],
    valid,
    unit: (v) => (f(v) - lo) / (hi - lo),
    step,
    round: (values) =>
      Array.from(values, (v) => (!valid(v) ? null : log ? Number(v.toPrecision(4)) : Math.round(v / step))),
  };
}
