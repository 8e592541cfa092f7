import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import * as d2l from 'd2l';
import { parseFmt, COLOR_CYCLE, COLOR_LETTERS, DASHES } from 'd2l/dist/plot-fmt';
import { compileToVega, renderSvgWithVega } from 'd2l/dist/plot-render';
import type { MimeBundle } from 'd2l';

const { tf } = d2l;

const schema = JSON.parse(
  fs.readFileSync(
    path.join(require.resolve('vega-lite/package.json'), '..', 'build', 'vega-lite-schema.json'),
    'utf8',
  ),
);
// The schema uses formats ajv does not know (uri, color-hex) and vega-lite extensions to JSON Schema.
const validate = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false }).compile(schema);

/** `figure` outside a kernel: plot would return the same. */
const fig = (X: d2l.PlotData, Y?: d2l.PlotData, options?: d2l.PlotOptions) => d2l.figure(X, Y, options);

const range = (n: number, f: (i: number) => number = (i) => i): number[] =>
  Array.from({ length: n }, (_, i) => f(i));
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const normal = (x: number[], mu: number, sigma: number) =>
  x.map((v) => Math.exp((-0.5 / sigma ** 2) * (v - mu) ** 2) / Math.sqrt(2 * Math.PI * sigma ** 2));

type Layer = { data: { values: Array<{ x: number; y: number }> }; mark: Record<string, unknown> };
const layers = (f: d2l.Figure) => (f.spec as unknown as { layer: Layer[] }).layer;
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

beforeAll(async () => {
  await d2l.ready();
});

describe('the 3.1 normal-distribution figure', () => {
  const x = range(1401, (i) => -7 + i * 0.01);
  const params = [
    [0, 1],
    [0, 2],
    [3, 1],
  ];
  const legend = params.map(([mu, sigma]) => `mean ${mu}, std ${sigma}`);
  const f = fig(
    x,
    params.map(([mu, sigma]) => normal(x, mu, sigma)),
    { xlabel: 'x', ylabel: 'p(x)', figsize: [4.5, 2.5], legend },
  ) as d2l.Figure;

  test('its spec is valid vega-lite v5 and compiles without warnings', () => {
    expect(f.spec.$schema).toBe('https://vega.github.io/schema/vega-lite/v5.json');
    expect(validate(f.spec)).toBe(true);
    expect(validate({ ...f.spec, width: 'wide' })).toBe(false); // the validator does check
    const warnings: string[] = [];
    compileToVega(f.spec, warnings);
    expect(warnings).toEqual([]);
  });

  test('its SVG has one line per series, both axis titles and every legend entry', () => {
    expect(count(f.svg, /class="mark-line role-mark/g)).toBe(3);
    expect(count(f.svg, /aria-roledescription="point"/g)).toBe(0);
    expect(count(f.svg, /role-legend-symbol/g)).toBe(3);
    expect(f.svg).toMatch(/<svg[^>]* width="450" height="250"/);
    for (const text of ['x', 'p(x)', ...legend]) expect(f.svg).toContain(`>${text}</text>`);
    // The dashes of the default fmts '-', 'm--', 'g-.' on the curves.
    expect(f.svg).toContain(`stroke="${COLOR_CYCLE[0]}"`);
    expect(f.svg).toContain(`stroke-dasharray="${DASHES.dashed!.join(',')}"`);
    expect(f.svg).toContain(`stroke-dasharray="${DASHES.dashdot!.join(',')}"`);
  });

  test('the synchronous SVG is byte for byte what vega renders itself', async () => {
    expect(await renderSvgWithVega(f.spec)).toBe(f.svg);
  });

  test('the legend goes in a free corner (the curves fill the top right)', () => {
    const legendDef = (layers(f)[0] as unknown as { encoding: { color: { legend: { orient: string } } } })
      .encoding.color.legend;
    expect(legendDef.orient).toBe('top-left');
  });

  test('the PNG is a real image twice the figure size', () => {
    const png = f.png;
    // @resvg/resvg-js is optional, with prebuilt binaries for the usual platforms (CI: linux-x64).
    if (process.platform === 'linux' && process.arch === 'x64') expect(png).toBeDefined();
    if (png === undefined) return;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([900, 500]);
  });

  test('the bundle carries vega-lite, SVG, a PNG at the figure size and a one-line summary', () => {
    const bundle = f.bundle();
    expect(Object.keys(bundle).sort()).toEqual([
      'application/vnd.vegalite.v5+json',
      'image/png',
      'image/svg+xml',
      'text/plain',
    ]);
    const png = Buffer.from(bundle['image/png'] ?? '', 'base64');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([450, 250]);
    expect(bundle['text/plain']).toBe(
      '<Figure 450×250 px: 3 series (mean 0, std 1; mean 0, std 2; mean 3, std 1), 4203 points; x: x; y: p(x)>',
    );
  });
});

describe('X and Y follow the book', () => {
  test('a 1-D X with Y omitted is one series against its index', () => {
    const [layer] = layers(fig([5, 7, 9]));
    expect(layer.data.values).toEqual([
      { x: 0, y: 5 },
      { x: 1, y: 7 },
      { x: 2, y: 9 },
    ]);
  });

  test('an array of series with Y omitted is several series against their index', () => {
    expect(
      layers(
        fig([
          [1, 2],
          [3, 4, 5],
        ]),
      ).map((l) => l.data.values.map((p) => p.x)),
    ).toEqual([
      [0, 1],
      [0, 1, 2],
    ]);
  });

  test('one X is repeated for every series of Y', () => {
    const ls = layers(
      fig(
        [1, 2],
        [
          [3, 4],
          [5, 6],
          [7, 8],
        ],
      ),
    );
    expect(ls.map((l) => l.data.values)).toEqual([
      [
        { x: 1, y: 3 },
        { x: 2, y: 4 },
      ],
      [
        { x: 1, y: 5 },
        { x: 2, y: 6 },
      ],
      [
        { x: 1, y: 7 },
        { x: 2, y: 8 },
      ],
    ]);
  });

  test('X and Y with as many series are paired', () => {
    const ls = layers(
      fig(
        [
          [1, 2],
          [10, 20],
        ],
        [
          [3, 4],
          [5, 6],
        ],
      ),
    );
    expect(ls.map((l) => l.data.values.map((p) => p.x))).toEqual([
      [1, 2],
      [10, 20],
    ]);
  });

  test('typed arrays, 1-D tensors, [n, 1] tensors and 2-D tensors, without leaking tensors', () => {
    const v = tf.tensor1d([1, 2, 3]);
    const column = tf.tensor2d([[4], [5], [6]]);
    const rows = tf.tensor2d([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    const before = tf.memory().numTensors;
    expect(layers(fig(new Float32Array([1, 2, 3]), column))[0].data.values.map((p) => p.y)).toEqual([
      4, 5, 6,
    ]);
    expect(layers(fig(v, [column, v, new Int32Array([7, 8, 9])])).length).toBe(3);
    expect(layers(fig(v, rows)).map((l) => l.data.values.map((p) => p.y))).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([v, column, rows]);
  });

  test('the 3.2 scatter: feature 2 against the labels as small points', () => {
    const [features, labels] = d2l.synthetic_data(tf.tensor1d([2, -3.4]), 4.2, 100);
    const feature2 = tf.tidy(() => features.slice([0, 1], [-1, 1]));
    const f = fig(feature2, labels, { fmts: ['b.'], xlabel: 'feature 2', ylabel: 'label' });
    expect(layers(f)[0].mark).toMatchObject({
      type: 'point',
      color: '#0000ff',
      shape: 'circle',
      filled: true,
    });
    expect(count(f.svg, /role-graphics-symbol|aria-roledescription="point"/g)).toBe(100);
    expect(count(f.svg, /class="mark-line/g)).toBe(0);
    tf.dispose([features, labels, feature2]);
  });
});

describe('format strings', () => {
  test.each([
    ['-', { color: undefined, line: 'solid', marker: undefined }],
    ['', { color: undefined, line: 'solid', marker: undefined }],
    ['m--', { color: COLOR_LETTERS.m, line: 'dashed', marker: undefined }],
    ['g-.', { color: COLOR_LETTERS.g, line: 'dashdot', marker: undefined }],
    ['r:', { color: COLOR_LETTERS.r, line: 'dotted', marker: undefined }],
    ['C3', { color: COLOR_CYCLE[3], line: 'solid', marker: undefined }],
  ])('%j', (fmt, expected) => {
    expect(parseFmt(fmt)).toEqual(expected);
  });

  test('markers alone draw points; with a line style, both; order does not matter', () => {
    expect(parseFmt('o')).toMatchObject({
      line: undefined,
      marker: { char: 'o', shape: 'circle', filled: true },
    });
    expect(parseFmt('kx')).toMatchObject({
      color: '#000000',
      line: undefined,
      marker: { char: 'x', filled: false },
    });
    expect(parseFmt('--^y')).toEqual(parseFmt('y^--'));
    expect(parseFmt('o-')).toMatchObject({ line: 'solid', marker: { char: 'o' } });
  });

  test('each form becomes the documented vega-lite mark', () => {
    const ls = layers(
      fig(
        [1, 2],
        [
          [1, 2],
          [2, 3],
          [3, 4],
          [4, 5],
        ],
        { fmts: ['r:', 'o', 'g+--', 'C1s-'] },
      ),
    );
    expect(ls[0].mark).toMatchObject({ type: 'line', color: '#ff0000', strokeDash: DASHES.dotted });
    expect(ls[0].mark.point).toBeUndefined();
    expect(ls[1].mark).toMatchObject({ type: 'point', color: COLOR_CYCLE[0], shape: 'circle', filled: true });
    expect(ls[2].mark).toMatchObject({ type: 'line', color: '#008000', strokeDash: DASHES.dashed });
    expect(ls[2].mark.point).toMatchObject({ filled: false, color: '#008000' });
    expect(ls[3].mark).toMatchObject({ type: 'line', color: COLOR_CYCLE[1], point: { shape: 'square' } });
    expect(ls[3].mark.strokeDash).toBeUndefined();
  });

  test('a fifth series with the default fmts gets a style of its own', () => {
    const f = fig(
      [0, 1],
      times(6, (i) => [i, i + 1]),
      { legend: times(6, (i) => `s${i}`) },
    );
    const styles = layers(f).map((l) => JSON.stringify([l.mark.color, l.mark.strokeDash]));
    expect(new Set(styles).size).toBe(6);
    expect(layers(f)[4].mark).toMatchObject({ color: COLOR_CYCLE[1] }); // '-' again, next cycle colour
    expect(count(f.svg, /class="mark-line role-mark/g)).toBe(6);
    expect(validate(f.spec)).toBe(true);
  });

  test('with a legend, every form keeps its look and the legend draws each entry like its series', () => {
    const fmts = ['o-', 'rx', 'g+--', 'C4s:', 'k^', '*'];
    const f = fig(
      [1, 2, 3],
      times(6, (i) => [i, i + 1, i + 2]),
      { fmts, legend: fmts },
    );
    expect(validate(f.spec)).toBe(true);
    const warnings: string[] = [];
    compileToVega(f.spec, warnings);
    expect(warnings).toEqual([]);
    // Lines for the three series with a line style, 3 points for each series (all have markers).
    expect(count(f.svg, /class="mark-line role-mark/g)).toBe(3);
    expect(count(f.svg, /aria-roledescription="point"/g)).toBe(6 * 3);
    const legendPaths = [...f.svg.matchAll(/role-legend-symbol[^>]*><path[^>]* d="([^"]*)"/g)].map(
      (m) => m[1],
    );
    expect(legendPaths).toHaveLength(6);
    // Series with a line show a line sample; markers-only series show the very path of their points.
    for (const i of [0, 2, 3]) expect(legendPaths[i]).toBe('M-9,0L9,0');
    for (const i of [1, 4, 5]) {
      const pointPath = new RegExp(`series: ${fmts[i].replace(/[*^+]/g, '\\$&')}"[^>]* d="([^"]*)"`).exec(
        f.svg,
      );
      expect(pointPath?.[1]).toBe(legendPaths[i]);
    }
  });

  test.each(['q', 'r-g', 'o.', '----', '-:', 'C'])('%j is rejected, naming fmts[i]', (bad) => {
    expect(() =>
      fig(
        [1, 2],
        [
          [1, 2],
          [3, 4],
        ],
        { fmts: ['-', bad] },
      ),
    ).toThrow(/fmts\[1\] = '.*' is not a matplotlib/);
  });
});

describe('axes', () => {
  test('log scales: the spec, tick values at the powers of ten, and positive data', () => {
    const epochs = range(10, (i) => i + 1);
    const f = fig(epochs, [epochs.map((e) => 10 ** -e), epochs.map((e) => 1 / e)], {
      yscale: 'log',
      legend: ['a', 'b'],
    });
    const enc = (
      f.spec as unknown as {
        encoding: Record<string, { scale: { type: string }; axis: { values?: number[] } }>;
      }
    ).encoding;
    expect(enc.y.scale.type).toBe('log');
    expect(enc.x.scale.type).toBe('linear');
    expect(enc.y.axis.values).toEqual([1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1]);
    expect(validate(f.spec)).toBe(true);
    expect(count(f.svg, /class="mark-line role-mark/g)).toBe(2);
  });

  test('limits set the domain exactly and clip the marks; labels are the axis titles', () => {
    const f = fig([0, 10], [0, 10], { xlim: [2, 5], ylim: [-1, 1], xlabel: 'epoch', ylabel: 'loss' });
    const spec = f.spec as unknown as { encoding: Record<string, { scale: { domain: number[] } }> };
    expect(spec.encoding.x.scale.domain).toEqual([2, 5]);
    expect(spec.encoding.y.scale.domain).toEqual([-1, 1]);
    expect(layers(f)[0].mark.clip).toBe(true);
    expect(f.svg).toContain('>epoch</text>');
    expect(f.svg).toContain('>loss</text>');
  });

  test('set_figsize changes the default size; figsize overrides it', () => {
    try {
      d2l.set_figsize([2, 1]);
      expect(fig([1, 2]).svg).toMatch(/<svg[^>]* width="200" height="100"/);
      expect(fig([1, 2], undefined, { figsize: [3, 2] }).svg).toMatch(/width="300" height="200"/);
    } finally {
      d2l.set_figsize();
    }
    expect(fig([1, 2]).svg).toMatch(/width="350" height="250"/);
  });

  test("no legend unless one is given (the book's default, an empty list, is none)", () => {
    const twoSeries: number[][] = [
      [1, 2],
      [2, 3],
    ];
    expect(fig([1, 2], twoSeries).svg).not.toContain('role-legend');
    expect(fig([1, 2], twoSeries, { legend: [] }).svg).not.toContain('role-legend');
    expect(fig([1, 2], twoSeries, { legend: ['a', 'b'] }).svg).toContain('role-legend');
  });
});

describe('bad input names the argument', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['length mismatch', () => fig([1, 2, 3], [1, 2]), /X has 3 values but Y has 2/],
    ['length mismatch in one series', () => fig([1, 2], [[1, 2], [1]]), /X has 2 values but Y\[1\] has 1/],
    ['series count', () => fig([[1], [2]], [[1], [2], [3]]), /X holds 2 series and Y 3/],
    ['NaN', () => fig([1, 2], [1, NaN]), /Y\[1\] is NaN; values must be finite/],
    ['Infinity in X', () => fig([1, Infinity], [1, 2]), /X\[1\] is Infinity/],
    [
      'log of zero',
      () =>
        fig(
          [1, 2],
          [
            [1, 2],
            [0, 1],
          ],
          { yscale: 'log' },
        ),
      /Y\[1\]\[0\] is 0, but yscale is 'log'/,
    ],
    [
      'log x of the index',
      () => fig([1, 2], undefined, { xscale: 'log' }),
      /xscale is 'log' but Y is omitted/,
    ],
    [
      'bad scale',
      () => fig([1], undefined, { xscale: 'ln' as d2l.Scale }),
      /xscale must be 'linear' or 'log'/,
    ],
    [
      'zero figsize',
      () => fig([1], undefined, { figsize: [0, 2] }),
      /plot: figsize must be \[width, height\]/,
    ],
    ['negative set_figsize', () => d2l.set_figsize([3, -1]), /set_figsize: figsize must be/],
    ['empty fmts', () => fig([1], undefined, { fmts: [] }), /fmts must be a non-empty array/],
    [
      'legend count',
      () =>
        fig(
          [1, 2],
          [
            [1, 2],
            [2, 3],
          ],
          { legend: ['a'] },
        ),
      /legend has 1 entries but there are 2/,
    ],
    [
      'duplicate legend',
      () =>
        fig(
          [1, 2],
          [
            [1, 2],
            [2, 3],
          ],
          { legend: ['a', 'a'] },
        ),
      /legend entries must be distinct/,
    ],
    ['xlim', () => fig([1, 2], undefined, { xlim: [1, 1] }), /xlim must be \[low, high\]/],
    ['log ylim', () => fig([1, 2], [1, 2], { yscale: 'log', ylim: [0, 1] }), /ylim must be .*positive/],
    ['typo', () => fig([1], undefined, { xLabel: 'x' } as d2l.PlotOptions), /unknown option 'xLabel'/],
    ['strings', () => fig(['a', 'b'] as unknown as number[]), /X\[0\] must be a number; got string a/],
    ['not an array', () => fig(3 as unknown as number[]), /X must be an array, a typed array or a tensor/],
    ['3-D tensor', () => fig(tf.zeros([2, 2, 2])), /X must be a vector or a 2-D tensor/],
    [
      'options in place of Y (figure)',
      () => fig([1, 2, 3], { fmts: ['zz'] } as never),
      /Y must be .*; got Object; to pass options without Y, give them third: plot\(X, undefined, \{ \.\.\. \}\)/,
    ],
    [
      'options in place of Y (plot)',
      () => d2l.plot([1, 2, 3], { xlabel: 'x' } as never),
      /got Object; to pass options without Y, give them third/,
    ],
    [
      'X omitted',
      () => fig(undefined as never),
      /X must be an array, a typed array or a tensor; got undefined$/,
    ],
    ['undefined in X', () => fig([1, undefined] as never), /X\[1\] must be a number; got undefined$/],
    [
      'show of a non-figure',
      () => d2l.show({} as never),
      /show: fig must be a Figure \(from d2l.figure\); got \{\}/,
    ],
    ['save without a file', () => fig([1]).save(undefined as never), /Figure.save: file must be a string/],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});

describe('edge cases', () => {
  test.each<[string, d2l.PlotData, d2l.PlotData | undefined, d2l.PlotOptions]>([
    ['tiny figure', [1, 2, 3], undefined, { figsize: [1, 0.5] }],
    [
      'log axis, markers, long legend',
      [1, 2, 3],
      [
        [1, 10, 100],
        [2, 3, 4],
      ],
      { yscale: 'log', fmts: ['o-', 'x'], legend: ['a'.repeat(30), 'b'] },
    ],
    ['huge and tiny numbers', [1e6, 2e6, 3e6], [1e-6, 3e-6, 2e-6], { xlabel: 'big', ylabel: 'small' }],
  ])('%s: the synchronous SVG is what vega renders itself', async (_, X, Y, options) => {
    const f = fig(X, Y, options);
    expect(await renderSvgWithVega(f.spec)).toBe(f.svg);
  });

  test('very large or small numbers are labelled with exponents', () => {
    const f = fig([1e6, 2e6, 3e6], [1e-6, 3e-6, 2e-6]);
    expect(f.svg).toContain('>2e+6</text>');
    expect(f.svg).toContain('>2e-6</text>');
  });

  test('lines join the points in the order given, not sorted by x', () => {
    const f = fig([0, 2, 1], [0, 1, 2]);
    const d = /aria-roledescription="line mark" d="M([\d.]+),[\d.]+L([\d.]+),[\d.]+L([\d.]+)/.exec(f.svg);
    const xs = (d ?? []).slice(1).map(Number);
    expect(xs[1]).toBeGreaterThan(xs[2]);
    expect(xs[2]).toBeGreaterThan(xs[0]);
  });

  test('a constant series, a single point and an empty series still draw', () => {
    expect(fig([3, 3, 3]).svg).toContain('mark-line');
    expect(fig([1], [5], { fmts: ['o'] }).svg).toContain('aria-roledescription="point"');
    expect(fig([]).svg).toMatch(/^<svg/);
  });

  test('save writes SVG, PNG and the spec, and refuses other extensions', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-plot-'));
    const f = fig([1, 2, 3]);
    f.save(path.join(dir, 'f.svg'));
    f.save(path.join(dir, 'f.json'));
    expect(fs.readFileSync(path.join(dir, 'f.svg'), 'utf8')).toBe(f.svg);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'f.json'), 'utf8'))).toEqual(f.spec);
    if (f.png !== undefined) {
      f.save(path.join(dir, 'f.png'));
      expect(fs.readFileSync(path.join(dir, 'f.png')).equals(f.png)).toBe(true);
    }
    expect(() => f.save(path.join(dir, 'f.pdf'))).toThrow(/must end in .svg, .png or .json/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('display', () => {
  test('outside a kernel, plot returns the figure', () => {
    expect(d2l.plot([1, 2, 3])).toBeInstanceOf(d2l.Figure);
  });

  test('inside a kernel, show sends the whole bundle once and returns undefined', () => {
    const sent: MimeBundle[] = [];
    const f = fig([1, 2, 3]);
    expect(d2l.show(f, (b) => sent.push(b))).toBeUndefined();
    expect(sent).toEqual([f.bundle()]);
  });
});
