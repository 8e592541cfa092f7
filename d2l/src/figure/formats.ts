/**
 * matplotlib's format strings (`'m--'`, `'b.'`, `'C1o-'`) and colour cycle, as vega-lite mark styles.
 */

/**
 * The book's default format strings of `plot`'s series, in turn. Defined in section 2.4 of the book.
 *
 * @example
 * d2l.plot([1, 2, 3], [[1, 2, 3], [3, 2, 1]], { fmts: d2l.DEFAULT_FMTS.slice(1) });
 */
export const DEFAULT_FMTS: readonly string[] = ['-', 'm--', 'g-.', 'r:'];

export interface Style {
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
 * The styles of `count` series: `fmts` in turn, repeated past the last one in the next colours of
 * matplotlib's cycle (a series whose format names no colour takes the cycle's next one).
 */
export function stylesOf(fmts: readonly string[], count: number): Style[] {
  const styles = Array.from({ length: count }, (_, i) => parseFmt(fmts[i % fmts.length], i >= fmts.length));
  let next = 0;
  for (const style of styles) style.color ||= CYCLE[next++ % CYCLE.length];
  return styles;
}

/**
 * Parses a matplotlib format string such as `'m--'`, `'b.'` or `'C1o-'`. Without a colour, or for a
 * series `cycled` past the last format, the colour is left empty for the cycle to fill.
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
