/**
 * The vega-lite v5 spec of a `plot` figure, styled after the book's matplotlib figures: the whole
 * figure is figsize inches at 100 px per inch, a framed plot area with a grid, ticks outside,
 * 5 % margins around the data, and the legend inside the plot area in the corner the data leaves
 * freest (matplotlib's `loc='best'`, restricted to the four corners).
 *
 * One layer per series, so each series' style is spelled out in its own mark and shows up as its own
 * mark group in the SVG.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SeriesStyle } from './plot-fmt';
import { COLOR_CYCLE, DASHES, markerPath } from './plot-fmt';
import type { Series } from './plot-data';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
export const PX_PER_INCH = 100;
const LINE_WIDTH = 2; // matplotlib's 1.5 pt
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif'; // matplotlib's default font first
const LEGEND_LINE = 324; // legend line samples are sqrt(324) = 18 px long

export type Scale = 'linear' | 'log';

/** A series' style with its colour settled. */
export interface ResolvedStyle extends SeriesStyle {
  color: string;
}

/**
 * Settles the colour of each series. Series i uses fmts[i]. Past the end of fmts the formats repeat
 * with their colours dropped, so series 5 with the default fmts is a solid line in the next colour of
 * matplotlib's cycle rather than a copy of series 1. A format without a colour takes the next cycle
 * colour (C0, C1, ...), as matplotlib does.
 */
export function resolveStyles(count: number, fmts: readonly SeriesStyle[]): ResolvedStyle[] {
  let next = 0;
  return Array.from({ length: count }, (_, i) => {
    const base = fmts[i % fmts.length];
    const color = i < fmts.length ? base.color : undefined;
    return { ...base, color: color ?? COLOR_CYCLE[next++ % COLOR_CYCLE.length] };
  });
}

export interface SpecOptions {
  xlabel: string | undefined;
  ylabel: string | undefined;
  legend: readonly string[] | undefined;
  xlim: readonly [number, number] | undefined;
  ylim: readonly [number, number] | undefined;
  xscale: Scale;
  yscale: Scale;
  figsize: readonly [number, number];
}

/** Rounds to float32-like precision: the figure cannot show more, and the notebook stays smaller. */
const round = (v: number): number => Number(v.toPrecision(7));

/** The data extent with matplotlib's 5 % margins (in log space on a log axis), or the given limits. */
export function domain(
  values: Float64Array[],
  scale: Scale,
  lim: readonly [number, number] | undefined,
): number[] {
  if (lim !== undefined) return [lim[0], lim[1]];
  const log = scale === 'log';
  let lo = Infinity;
  let hi = -Infinity;
  for (const series of values) {
    for (const v of series) {
      const t = log ? Math.log10(v) : v;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  if (lo === Infinity) [lo, hi] = [0, 1];
  const margin = hi > lo ? 0.05 * (hi - lo) : Math.max(Math.abs(lo) * 0.05, 0.5);
  const ends = [lo - margin, hi + margin];
  return ends.map((t) => round(log ? 10 ** t : t));
}

/** The powers of ten within [lo, hi]. */
function powersOfTen([lo, hi]: number[]): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(Math.log10(Math.min(lo, hi))); 10 ** k <= Math.max(lo, hi) * (1 + 1e-9); k++) {
    out.push(Number((10 ** k).toPrecision(1)));
  }
  return out;
}

/** An axis: its data extent (or limits) and scale type. */
interface Axis {
  domain: number[];
  scale: Scale;
}

type Corner = 'top-right' | 'top-left' | 'bottom-left' | 'bottom-right';

/**
 * The legend's corner: the one whose estimated legend box covers the fewest data points and line
 * segments (ties go to matplotlib's order: upper right, upper left, lower left, lower right).
 */
export function legendCorner(
  series: Series[],
  styles: ResolvedStyle[],
  labels: readonly string[],
  x: Axis,
  y: Axis,
  plotSize: [number, number],
): Corner {
  // Legend box in pixels: rows of max(line sample + stroke, font size) with 2 px between, 5 px padding,
  // labels at about 0.6 em per character (vega's own estimate without a canvas).
  const row = Math.max(Math.ceil(Math.sqrt(LEGEND_LINE) + LINE_WIDTH), 11);
  const height = 10 + row * labels.length + 2 * (labels.length - 1);
  const width = 10 + row + 4 + 6.6 * Math.max(...labels.map((l) => l.length));
  const boxW = Math.min(1, (width + 8) / plotSize[0]);
  const boxH = Math.min(1, (height + 8) / plotSize[1]);
  const toUnit = (v: number, axis: Axis) => {
    const f = axis.scale === 'log' ? Math.log10 : (t: number) => t;
    const [a, b] = axis.domain.map(f);
    return (f(v) - a) / (b - a);
  };
  const corners: Array<[Corner, number, number]> = [
    ['top-right', 1 - boxW, 1 - boxH],
    ['top-left', 0, 1 - boxH],
    ['bottom-left', 0, 0],
    ['bottom-right', 1 - boxW, 0],
  ];
  let best = corners[0][0];
  let bestCount = Infinity;
  for (const [corner, x0, y0] of corners) {
    let count = 0;
    series.forEach((s, k) => {
      let px = NaN;
      let py = NaN;
      for (let i = 0; i < s.x.length; i++) {
        const ux = toUnit(s.x[i], x);
        const uy = toUnit(s.y[i], y);
        if (ux >= x0 && ux <= x0 + boxW && uy >= y0 && uy <= y0 + boxH) count++;
        else if (styles[k].line !== undefined && i > 0 && crosses(px, py, ux, uy, x0, y0, boxW, boxH))
          count++;
        px = ux;
        py = uy;
      }
    });
    if (count < bestCount) [best, bestCount] = [corner, count];
  }
  return best;
}

/** Whether the segment (ax, ay)-(bx, by) passes through the box (Liang–Barsky clipping). */
function crosses(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
) {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  const edges: Array<[number, number]> = [
    [-dx, ax - x0],
    [dx, x0 + w - ax],
    [-dy, ay - y0],
    [dy, y0 + h - ay],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
  }
  return true;
}

/** The outline width: the line's; else none for filled markers, 1.5 px for line markers (+ x | _). */
const strokeWidth = (style: ResolvedStyle): number =>
  style.line !== undefined ? LINE_WIDTH : style.marker?.filled ? 0 : 1.5;

/**
 * The mark of one series. With `symbolSize`, markers are drawn as paths pre-scaled to their size at
 * that one symbol size: a legend draws all its symbols at one size, and shares the marks' shapes.
 */
function seriesMark(style: ResolvedStyle, clip: boolean, symbolSize?: number) {
  const marker = style.marker;
  const point =
    marker === undefined
      ? undefined
      : {
          shape: symbolSize === undefined ? marker.shape : markerPath(marker, symbolSize),
          size: symbolSize ?? marker.size,
          filled: marker.filled,
          strokeWidth: strokeWidth({ ...style, line: undefined }),
          opacity: 1,
          color: style.color,
        };
  if (style.line === undefined) return { type: 'point' as const, clip, ...point };
  const dash = DASHES[style.line];
  return {
    type: 'line' as const,
    order: false, // join points in the order given, as matplotlib does, not sorted by x
    color: style.color,
    strokeWidth: LINE_WIDTH,
    clip,
    ...(dash === undefined ? {} : { strokeDash: dash }),
    ...(point === undefined ? {} : { point }),
  };
}

/**
 * The encodings that give series `i` its legend entry. Colour, width, dash and marker come from scales
 * over the labels, which vega-lite merges into one legend that draws each entry like its series: a
 * line sample in the series' dash when it has a line, else its marker.
 */
function legendEncoding(i: number, styles: ResolvedStyle[], labels: readonly string[], legend: object) {
  const byLabel = (range: unknown[]) => ({
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: [...labels], range },
  });
  const isLine = styles[i].line !== undefined;
  const shapes = styles.map((st) =>
    st.line !== undefined || st.marker === undefined ? 'stroke' : markerPath(st.marker, LEGEND_LINE),
  );
  const dashes = styles.map((st) => (st.line === undefined ? [1, 0] : (DASHES[st.line] ?? [1, 0])));
  const widths = styles.map(strokeWidth);
  return {
    color: { ...byLabel(styles.map((st) => st.color)), legend },
    // Ordinal with an ordinal scale maps widths exactly (a nominal field draws a vega-lite warning).
    strokeWidth: {
      ...byLabel(widths),
      type: 'ordinal' as const,
      scale: { type: 'ordinal' as const, domain: [...labels], range: widths },
    },
    // Shape only on point marks: vega-lite would add a point at every datum of a line with a shape.
    ...(isLine ? { strokeDash: byLabel(dashes) } : { shape: byLabel(shapes) }),
  };
}

/** The vega-lite spec for `series` drawn in `styles`. */
export function buildSpec(series: Series[], styles: ResolvedStyle[], options: SpecOptions): TopLevelSpec {
  const [width, height] = options.figsize.map((inches) => Math.round(inches * PX_PER_INCH));
  const x: Axis = {
    domain: domain(
      series.map((s) => s.x),
      options.xscale,
      options.xlim,
    ),
    scale: options.xscale,
  };
  const y: Axis = {
    domain: domain(
      series.map((s) => s.y),
      options.yscale,
      options.ylim,
    ),
    scale: options.yscale,
  };
  // The plot area is about the figure less 70 px for the y axis and 50 px for the x axis.
  const plotSize: [number, number] = [Math.max(width - 70, 10), Math.max(height - 50, 10)];
  const clip = options.xlim !== undefined || options.ylim !== undefined;
  const labels = options.legend;
  const legend =
    labels === undefined
      ? undefined
      : {
          title: null,
          orient: legendCorner(series, styles, labels, x, y, plotSize),
          symbolSize: LEGEND_LINE,
          symbolType: 'stroke', // used when no series has markers only (and so no shape scale)
        };

  const layers = series.map((s, i) => {
    const data = { values: Array.from(s.x, (xv, j) => ({ x: round(xv), y: round(s.y[j]) })) };
    if (labels === undefined || legend === undefined) return { data, mark: seriesMark(styles[i], clip) };
    return {
      data,
      transform: [{ calculate: JSON.stringify(labels[i]), as: 'series' }],
      mark: seriesMark(styles[i], clip, LEGEND_LINE),
      encoding: legendEncoding(i, styles, labels, legend),
    };
  });

  const axisScale = (axis: Axis) =>
    axis.scale === 'log'
      ? { type: 'log' as const, domain: axis.domain, nice: false }
      : { type: 'linear' as const, domain: axis.domain, zero: false, nice: false };
  // About one tick per 70 px across and 40 px up, as matplotlib spaces them (vega would crowd more
  // and then hide labels that overlap). A log axis is labelled at the powers of ten, like matplotlib's.
  // Very large or small numbers get exponents (1e+6, 2.5e-7) instead of long strings of digits.
  const axisDef = (axis: Axis, title: string | undefined, tickCount: number) => {
    const decades = axis.scale === 'log' ? powersOfTen(axis.domain) : [];
    if (decades.length >= 2) return { title: title ?? null, values: decades, format: '~g' };
    const magnitude = Math.max(...axis.domain.map(Math.abs));
    const extreme = magnitude >= 1e5 || (magnitude > 0 && magnitude < 1e-3);
    return { title: title ?? null, tickCount, ...(extreme ? { format: '.3~e' } : {}) };
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: { left: 5, top: 5, right: 10, bottom: 10 },
    background: 'white',
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        scale: axisScale(x),
        axis: axisDef(x, options.xlabel, Math.max(2, Math.round(plotSize[0] / 70))),
      },
      y: {
        field: 'y',
        type: 'quantitative',
        scale: axisScale(y),
        axis: axisDef(y, options.ylabel, Math.max(2, Math.round(plotSize[1] / 40))),
      },
    },
    layer: layers,
    config: {
      font: FONT,
      view: { stroke: '#000', strokeWidth: 0.8 },
      axis: {
        grid: true,
        gridColor: '#b0b0b0',
        gridOpacity: 0.6,
        gridWidth: 0.8,
        domain: false,
        tickColor: '#000',
        tickSize: 5,
        labelColor: '#000',
        labelFontSize: 11,
        labelFlush: false,
        titleColor: '#000',
        titleFontSize: 12,
        titleFontWeight: 'normal',
      },
      legend: {
        fillColor: 'rgba(255, 255, 255, 0.8)',
        strokeColor: '#ccc',
        cornerRadius: 3,
        padding: 5,
        offset: 6,
        labelFontSize: 11,
        labelColor: '#000',
        rowPadding: 2,
      },
    },
  };
}
