/**
 * matplotlib format strings (`'-'`, `'m--'`, `'g-.'`, `'r:'`, `'o'`, `'b.'`, `'ro-'`, `'C1x'` ...) parsed
 * into the style d2l draws with vega-lite. The grammar is matplotlib's: at most one colour, one marker
 * and one line style, in any order. A format with a marker and no line style draws markers only (as in
 * matplotlib); a format with neither draws a solid line.
 */

/** Line styles: `-` solid, `--` dashed, `-.` dash-dot, `:` dotted. */
export type LineStyle = 'solid' | 'dashed' | 'dashdot' | 'dotted';

/** The parsed form of one format string. Colour is a CSS colour, or undefined for "next in the cycle". */
export interface SeriesStyle {
  color: string | undefined;
  line: LineStyle | undefined;
  marker: MarkerStyle | undefined;
}

/** How a marker is drawn: a vega symbol shape (a name or an SVG path in the unit square), its area. */
export interface MarkerStyle {
  /** The matplotlib marker character, e.g. `'o'`. */
  char: string;
  shape: string;
  /** Area in square pixels (vega's `size`). */
  size: number;
  /** Filled markers take the colour as fill; line markers (`+ x | _`) as stroke. */
  filled: boolean;
}

/** matplotlib's single-letter colours, with the exact values matplotlib uses. */
export const COLOR_LETTERS: Readonly<Record<string, string>> = {
  b: '#0000ff',
  g: '#008000',
  r: '#ff0000',
  c: '#00bfbf',
  m: '#bf00bf',
  y: '#bfbf00',
  k: '#000000',
  w: '#ffffff',
};

/** matplotlib's default colour cycle (tab10), addressed as `C0` ... `C9` in format strings. */
export const COLOR_CYCLE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/**
 * Dash patterns in pixels: matplotlib's (in points, scaled by its 1.5 pt line width) at 100 px per inch.
 * `undefined` is a solid line.
 */
export const DASHES: Readonly<Record<LineStyle, number[] | undefined>> = {
  solid: undefined,
  dashed: [7.7, 3.3],
  dashdot: [13.3, 3.3, 2.1, 3.3],
  dotted: [2.1, 3.4],
};

// Unit-square SVG paths for matplotlib markers vega has no built-in shape for.
const PLUS = 'M-1,0H1M0,-1V1';
const CROSS = 'M-1,-1L1,1M-1,1L1,-1';
const STAR =
  'M0,-1L0.2245,-0.309L0.9511,-0.309L0.3633,0.118L0.5878,0.809L0,0.382L-0.5878,0.809L-0.3633,0.118L-0.9511,-0.309L-0.2245,-0.309Z';
const PENTAGON = 'M0,-1L0.9511,-0.309L0.5878,0.809L-0.5878,0.809L-0.9511,-0.309Z';
const HEXAGON = 'M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z';

// matplotlib's marker size is 6 pt across, about 8.3 px at 100 px per inch: vega's size is an area.
const AREA = 70;

/** The markers d2l understands, by matplotlib character. */
export const MARKERS: Readonly<Record<string, Omit<MarkerStyle, 'char'>>> = {
  '.': { shape: 'circle', size: AREA / 4, filled: true },
  ',': { shape: 'square', size: 2, filled: true },
  o: { shape: 'circle', size: AREA, filled: true },
  v: { shape: 'triangle-down', size: AREA, filled: true },
  '^': { shape: 'triangle-up', size: AREA, filled: true },
  '<': { shape: 'triangle-left', size: AREA, filled: true },
  '>': { shape: 'triangle-right', size: AREA, filled: true },
  s: { shape: 'square', size: AREA, filled: true },
  D: { shape: 'diamond', size: AREA, filled: true },
  d: { shape: 'diamond', size: AREA / 2, filled: true },
  p: { shape: PENTAGON, size: AREA, filled: true },
  h: { shape: HEXAGON, size: AREA, filled: true },
  '*': { shape: STAR, size: AREA * 1.5, filled: true },
  P: { shape: 'cross', size: AREA, filled: true },
  '+': { shape: PLUS, size: AREA, filled: false },
  x: { shape: CROSS, size: AREA / 2, filled: false },
  '|': { shape: 'M0,-1V1', size: AREA, filled: false },
  _: { shape: 'M-1,0H1', size: AREA, filled: false },
};

const H = Math.sqrt(3) / 2;
const polygon = (points: Array<[number, number]>): string =>
  points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${+x.toFixed(4)},${+y.toFixed(4)}`).join('') + 'Z';

/** vega's built-in symbol shapes as unit paths (vega draws both scaled by sqrt(size) / 2). */
const BUILTIN_PATHS: Readonly<Record<string, string>> = {
  circle: polygon(
    Array.from({ length: 24 }, (_, i) => [Math.cos((i * Math.PI) / 12), Math.sin((i * Math.PI) / 12)]),
  ),
  square: 'M-1,-1H1V1H-1Z',
  diamond: 'M-1,0L0,-1L1,0L0,1Z',
  'triangle-up': polygon([
    [0, -H],
    [-1, H],
    [1, H],
  ]),
  'triangle-down': polygon([
    [0, H],
    [-1, -H],
    [1, -H],
  ]),
  'triangle-left': polygon([
    [-H, 0],
    [H, -1],
    [H, 1],
  ]),
  'triangle-right': polygon([
    [H, 0],
    [-H, -1],
    [-H, 1],
  ]),
  cross: polygon([
    [-1, -0.4],
    [-1, 0.4],
    [-0.4, 0.4],
    [-0.4, 1],
    [0.4, 1],
    [0.4, 0.4],
    [1, 0.4],
    [1, -0.4],
    [0.4, -0.4],
    [0.4, -1],
    [-0.4, -1],
    [-0.4, -0.4],
  ]),
};

/**
 * The marker as an SVG path drawn at `size` when vega draws it at `atSize`: legends lay their symbols
 * out by one size for all entries, so each entry's marker is scaled into its path instead.
 */
export function markerPath(marker: MarkerStyle, atSize: number): string {
  const unit = BUILTIN_PATHS[marker.shape] ?? marker.shape;
  const k = Math.sqrt(marker.size / atSize);
  return unit.replace(/-?\d*\.?\d+/g, (n) => String(+(Number(n) * k).toFixed(4)));
}

const LINE_STYLES: ReadonlyArray<[string, LineStyle]> = [
  // Two-character styles first, so that `--` is not read as two `-`.
  ['--', 'dashed'],
  ['-.', 'dashdot'],
  ['-', 'solid'],
  [':', 'dotted'],
];

/**
 * Parses one matplotlib format string.
 *
 * @param name how the caller names the value in errors, e.g. `fmts[2]`.
 * @throws when the string has an unknown character or two colours, markers or line styles.
 */
export function parseFmt(fmt: string, name = 'fmt'): SeriesStyle {
  if (typeof fmt !== 'string') throw new Error(`plot: ${name} must be a string; got ${typeof fmt}`);
  const bad = (why: string): Error =>
    new Error(
      `plot: ${name} = '${fmt}' is not a matplotlib format string: ${why} ` +
        `(expected at most one colour [${Object.keys(COLOR_LETTERS).join('')} or C0-C9], ` +
        `one line style [- -- -. :] and one marker [${Object.keys(MARKERS).join(' ')}])`,
    );
  const style: SeriesStyle = { color: undefined, line: undefined, marker: undefined };
  let i = 0;
  while (i < fmt.length) {
    const rest = fmt.slice(i);
    const line = LINE_STYLES.find(([token]) => rest.startsWith(token));
    if (line !== undefined) {
      if (style.line !== undefined) throw bad('two line styles');
      style.line = line[1];
      i += line[0].length;
      continue;
    }
    const cycle = /^C(\d)/.exec(rest);
    const ch = fmt[i];
    if (cycle !== null || COLOR_LETTERS[ch] !== undefined) {
      if (style.color !== undefined) throw bad('two colours');
      style.color = cycle !== null ? COLOR_CYCLE[Number(cycle[1])] : COLOR_LETTERS[ch];
      i += cycle !== null ? 2 : 1;
      continue;
    }
    const marker = MARKERS[ch];
    if (marker !== undefined) {
      if (style.marker !== undefined) throw bad('two markers');
      style.marker = { char: ch, ...marker };
      i += 1;
      continue;
    }
    throw bad(`unknown character '${ch}'`);
  }
  if (style.line === undefined && style.marker === undefined) style.line = 'solid';
  return style;
}
