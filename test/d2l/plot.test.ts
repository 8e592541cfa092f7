import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import Ajv from 'ajv';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import * as d2l from 'd2l';
import { fontsFor } from 'd2l/dist/figure/fonts';

const { tf } = d2l;

const schema = JSON.parse(
  fs.readFileSync(
    path.join(require.resolve('vega-lite/package.json'), '..', 'build', 'vega-lite-schema.json'),
    'utf8',
  ),
);
// The schema uses formats ajv does not know (uri, color-hex) and vega-lite extensions to JSON Schema.
const validate = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false }).compile(schema);

/** Compiles the spec to vega, failing on any vega-lite warning. */
function toVega(spec: d2l.Figure['spec']): vega.Spec {
  const warnings: unknown[] = [];
  const logger = { level: () => logger, warn: (...a: unknown[]) => (warnings.push(a), logger) };
  const out = compile(structuredClone(spec) as TopLevelSpec, {
    logger: { ...logger, info: () => logger, debug: () => logger, error: () => logger } as never,
  }).spec;
  expect(warnings).toEqual([]);
  return out;
}

/** The points vega itself draws, per series: vega-lite's own reading of the compact data. */
function drawn(fig: d2l.Figure): Array<{ x: number[]; y: number[]; label?: string }> {
  const spec = toVega(fig.spec);
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  view.run();
  const points = view.data(spec.data?.find((d) => 'source' in d && d.source === 'source_0')?.name ?? '');
  const series: Array<{ x: number[]; y: number[]; label?: string }> = [];
  for (const p of points) {
    const s = (series[Number(p.s)] ??= { x: [], y: [], label: p.series });
    s.x.push(p.x);
    s.y.push(p.y);
  }
  view.finalize();
  return series;
}

type Mark = {
  type: string;
  color: string;
  strokeDash?: number[];
  point?: object;
  shape?: string;
  clip: boolean;
};
const marks = (fig: d2l.Figure): Mark[] =>
  (fig.spec as unknown as { layer: Array<{ mark: Mark }> }).layer.map((l) => l.mark);
const close = (got: number[], want: number[], tol = 1e-3): void => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(tol));
};

beforeAll(async () => {
  await d2l.ready();
});

describe('the 3.1 normal-distribution figure', () => {
  const x = Array.from({ length: 1401 }, (_, i) => -7 + i * 0.01);
  const params = [
    [0, 1],
    [0, 2],
    [3, 1],
  ];
  const ys = params.map(([mu, s]) =>
    x.map((v) => Math.exp((-0.5 / s ** 2) * (v - mu) ** 2) / Math.sqrt(2 * Math.PI * s ** 2)),
  );
  const legend = params.map(([mu, sigma]) => `mean ${mu}, std ${sigma}`);
  const fig = d2l.figure(x, ys, { xlabel: 'x', ylabel: 'p(x)', figsize: [4.5, 2.5], legend });

  test('is valid vega-lite v5, drawing every point of every series to within a fraction of a pixel', () => {
    expect(validate(fig.spec)).toBe(true);
    expect(validate({ ...fig.spec, width: 'wide' })).toBe(false); // the validator does check
    const series = drawn(fig);
    expect(series.map((s) => s.label)).toEqual(legend);
    series.forEach((s, i) => {
      close(s.x, x, 1e-9);
      close(s.y, ys[i], 1e-4); // a thousandth of the axis is about 0.2 px here
    });
  });

  test("keeps the book's look: default fmts, axis titles, legend, size", () => {
    expect(marks(fig).map((m) => [m.type, m.color, m.strokeDash])).toEqual([
      ['line', '#1f77b4', undefined],
      ['line', '#bf00bf', [7.4, 3.2]],
      ['line', '#008000', [12.8, 3.2, 2, 3.2]],
    ]);
    const svg = fig.svg;
    expect(svg).toMatch(/<svg[^>]* width="450" height="250"/);
    for (const text of ['x', 'p(x)', ...legend]) expect(svg).toContain(`>${text}</text>`);
    expect(svg.match(/role-legend-symbol/g)).toHaveLength(3);
  });

  test('puts the legend in the corner the curves leave free (top left)', () => {
    expect(JSON.stringify(fig.spec)).toContain('"orient":"top-left"');
  });

  test('stays small: under 25 KB of spec and 35 KB of PNG for 4203 points', () => {
    expect(JSON.stringify(fig.spec).length).toBeLessThan(25000);
    expect(fig.png?.length).toBeLessThan(35000);
  });
});

/** The PNG's colour type and its chunks by name. */
function pngChunks(png: Buffer): { type: number; chunks: Record<string, Buffer> } {
  const chunks: Record<string, Buffer> = {};
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at)) {
    chunks[png.toString('ascii', at + 4, at + 8)] = png.subarray(at + 8, at + 8 + png.readUInt32BE(at));
  }
  return { type: png[25], chunks };
}

test('the PNG holds exactly the rasterised pixels, as palette indices or as RGBA', () => {
  const { Resvg } = require('@resvg/resvg-js'); // eslint-disable-line @typescript-eslint/no-require-imports
  const xs = Array.from({ length: 300 }, (_, i) => i / 10);
  for (const [fig, colourType] of [
    [d2l.figure(xs, [xs.map(Math.sin)]), 3],
    [
      d2l.figure(xs, [xs.map(Math.sin), xs.map(Math.cos), xs.map((x) => x / 30)], {
        fmts: ['b.', 'r.', 'g.'],
      }),
      6,
    ],
  ] as const) {
    const image = new Resvg(fig.svg, {
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true },
    }).render();
    const pixels: Buffer = image.pixels; // a copy on each read
    const { type, chunks } = pngChunks(fig.png as Buffer);
    expect(type).toBe(colourType);
    const raw = zlib.inflateSync(chunks.IDAT);
    const decoded = Buffer.alloc(pixels.length);
    const [width, height] = [image.width, image.height];
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const at = 4 * (r * width + c);
        if (type === 6)
          raw.copy(decoded, at, r * (4 * width + 1) + 1 + 4 * c, r * (4 * width + 1) + 5 + 4 * c);
        else {
          const k = raw[r * (width + 1) + 1 + c];
          chunks.PLTE.copy(decoded, at, 3 * k, 3 * k + 3);
          decoded[at + 3] = chunks.tRNS?.[k] ?? 255;
        }
      }
    }
    expect(decoded.equals(pixels)).toBe(true);
  }
});

test('the PNG is a valid image at twice the figure size; the bundle has vega-lite, PNG and text', () => {
  const fig = d2l.figure([1, 2, 3], undefined, { figsize: [2, 1.5] });
  const png = fig.png as Buffer;
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  expect([width, height]).toEqual([400, 300]);
  const { type, chunks } = pngChunks(png);
  expect(type).toBe(3); // a line plot has few colours: palette indices, one byte a pixel
  expect(zlib.inflateSync(chunks.IDAT).length).toBe((width + 1) * height);
  expect(Object.keys(fig.bundle())).toEqual(['application/vnd.vegalite.v5+json', 'image/png', 'text/plain']);
  expect(fig.bundle()['image/png']).toBe(png.toString('base64'));
});

describe('rendering cheaply, drawing the same', () => {
  const figures = (): d2l.Figure[] => [
    d2l.figure(
      [1, 2, 3],
      [
        [1, 4, 9],
        [3, 2, 1],
      ],
      { legend: ['a', 'b'], fmts: ['-', 'ro'] },
    ),
    d2l.figure([1, 2, 3, 4], [[10, NaN, 0.5, 1000]], { yscale: 'log', xlim: [0, 5], xlabel: 'epoch' }),
    d2l.figure(
      Array.from({ length: 1000 }, (_, i) => Math.sin(i)),
      Array.from({ length: 1000 }, (_, i) => i / 7),
      {
        fmts: ['.'],
      },
    ),
  ];

  const { Resvg } = require('@resvg/resvg-js'); // eslint-disable-line @typescript-eslint/no-require-imports
  const pixels = (svg: string, font: object): Buffer =>
    new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font }).render().pixels;

  test("resvg loads only the files of the SVG's font families, and draws what all the system's fonts draw", () => {
    for (const fig of figures()) {
      const fonts = fontsFor(fig.svg);
      expect(fonts.loadSystemFonts).toBe(false);
      expect(fonts.fontFiles?.length).toBeGreaterThan(0);
      expect(pixels(fig.svg, fonts).equals(pixels(fig.svg, { loadSystemFonts: true }))).toBe(true);
    }
  });

  test('text that another font may have to draw, or without a font family, loads all the system fonts', () => {
    const latin = d2l.figure([1, 2], [3, 4], { xlabel: 'x & y < 1 × 2', ylabel: '−1' }).svg;
    expect(fontsFor(latin).loadSystemFonts).toBe(false);
    for (const xlabel of ['α', '第二个特征', '&#945;', 'x &#x3b1;', '&#2212;']) {
      const svg = latin.split('>x &amp; y &lt; 1 × 2<').join(`>${xlabel}<`);
      expect(svg).not.toBe(latin);
      expect(fontsFor(svg)).toEqual({ loadSystemFonts: true });
    }
    expect(fontsFor(latin.replace(/ font-family="[^"]*"/, ''))).toEqual({ loadSystemFonts: true });
    expect(fontsFor(latin.replace(/font-family="[^"]*"/g, 'font-family="No Such Font, sans-serif"'))).toEqual(
      {
        loadSystemFonts: true,
      },
    );
    expect(fontsFor('<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>')).toEqual({
      loadSystemFonts: false,
    });
  });
});

describe('Chinese labels', () => {
  const font = (fig: d2l.Figure) => (fig.spec as unknown as { config: { font: string } }).config.font;

  test('put a CJK font first (labels or legend); Latin labels keep DejaVu Sans first', () => {
    expect(font(d2l.figure([1, 2], undefined, { xlabel: '第二个特征' }))).toMatch(/^Noto Sans CJK SC, /);
    expect(font(d2l.figure([1, 2], undefined, { legend: ['均值 0，标准差 1'] }))).toMatch(
      /^Noto Sans CJK SC, /,
    );
    expect(font(d2l.figure([1, 2], undefined, { xlabel: 'x', legend: ['mean 0, std 1'] }))).toMatch(
      /^DejaVu Sans, /,
    );
  });

  // Debian's fonts-noto-cjk; resvg would otherwise fall back to whichever CJK font it loaded first.
  const installed = spawnSync('fc-list', ['Noto Sans CJK SC'], { encoding: 'utf8' }).stdout?.trim();
  const why = installed
    ? ''
    : ' (skipped: Noto Sans CJK SC is not installed; apt-get install fonts-noto-cjk)';
  (installed ? test : test.skip)(`are drawn in the PNG with Noto Sans CJK SC${why}`, () => {
    const { Resvg } = require('@resvg/resvg-js'); // eslint-disable-line @typescript-eslint/no-require-imports
    const pixels = (svg: string): Buffer =>
      new Resvg(svg, { font: { loadSystemFonts: true } }).render().pixels;
    const fig = d2l.figure([1, 2], [3, 4], { xlabel: '第二个特征', ylabel: '标签' });
    const notoOnly = fig.svg.replace(/font-family="[^"]*"/g, 'font-family="Noto Sans CJK SC"');
    expect(notoOnly).not.toBe(fig.svg);
    expect(pixels(fig.svg).equals(pixels(notoOnly))).toBe(true);
    // The labels are drawn at all: without them the image differs.
    expect(pixels(fig.svg).equals(pixels(d2l.figure([1, 2], [3, 4]).svg))).toBe(false);
  });
});

describe('X and Y follow the book', () => {
  test('a vector with Y omitted is plotted against its index', () => {
    const [s] = drawn(d2l.figure([5, 3, 4]));
    expect(s).toMatchObject({ x: [0, 1, 2], y: [5, 3, 4] });
  });

  test('several series with Y omitted, each against its index', () => {
    expect(
      drawn(
        d2l.figure([
          [1, 2],
          [3, 4, 5],
        ]),
      ).map((s) => [s.x, s.y]),
    ).toEqual([
      [
        [0, 1],
        [1, 2],
      ],
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
    ]);
  });

  test('one X is repeated for every series of Y; several X are paired with Y', () => {
    expect(
      drawn(
        d2l.figure(
          [1, 2],
          [
            [3, 4],
            [5, 6],
          ],
        ),
      ).map((s) => s.x),
    ).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(
      drawn(
        d2l.figure(
          [
            [1, 2],
            [7, 8, 9],
          ],
          [
            [3, 4],
            [5, 6, 7],
          ],
        ),
      ).map((s) => s.x),
    ).toEqual([
      [1, 2],
      [7, 8, 9],
    ]);
  });

  test('typed arrays and tensors [n], [n, 1] and [k, n], without leaking tensors', () => {
    const [a, b, c] = [
      tf.tensor1d([1, 2, 3]),
      tf.tensor2d([[4], [5], [6]]),
      tf.tensor2d([
        [1, 2, 3],
        [3, 2, 1],
      ]),
    ];
    const before = tf.memory().numTensors;
    const series = drawn(d2l.figure(a, [b, Float32Array.from([7, 8, 9])]));
    expect(series.map((s) => s.y)).toEqual([
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(drawn(d2l.figure(a, c)).map((s) => s.y)).toEqual([
      [1, 2, 3],
      [3, 2, 1],
    ]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, c]);
  });

  test('lines join the points in the order given, as matplotlib does, not sorted by x', () => {
    const fig = d2l.figure([3, 1, 2], [1, 2, 3]);
    expect(drawn(fig)[0].x).toEqual([3, 1, 2]);
    expect(marks(fig)[0]).toMatchObject({ type: 'line', order: false });
  });

  test('mismatched lengths and series counts are errors, not a wrong plot', () => {
    expect(() => d2l.figure([1, 2, 3], [1, 2])).toThrow(/plot/);
    expect(() =>
      d2l.figure(
        [
          [1, 2],
          [1, 2],
          [1, 2],
        ],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).toThrow(/plot/);
    expect(() =>
      d2l.figure(
        [1, 2],
        [
          [1, 2],
          [3, 4],
        ],
        { legend: ['only one'] },
      ),
    ).toThrow(/legend/);
    expect(() => d2l.figure(tf.zeros([2, 2, 2]))).toThrow(/plot/);
  });
});

describe('format strings', () => {
  test('a marker alone draws points; with a line style, a line with points; colours by letter or C0-C9', () => {
    const fig = d2l.figure(
      [1, 2],
      [
        [1, 2],
        [2, 3],
        [3, 4],
        [4, 5],
      ],
      { fmts: ['b.', 'ro-', 'C2:', 'x'] },
    );
    expect(marks(fig).map((m) => [m.type, m.color, m.point === undefined ? undefined : 'point'])).toEqual([
      ['point', '#0000ff', undefined],
      ['line', '#ff0000', 'point'],
      ['line', '#2ca02c', undefined],
      ['point', '#1f77b4', undefined], // no colour: the first of the cycle
    ]);
  });

  test('past the last format they repeat, in the next colours of the cycle', () => {
    const fig = d2l.figure(
      [1, 2],
      [[1], [2], [3], [4], [5], [6]].map((v) => [v[0], v[0]]),
    );
    const styles = marks(fig).map((m) => [m.color, m.strokeDash]);
    expect(styles[4]).toEqual(['#ff7f0e', undefined]); // like '-', in C1
    expect(new Set(styles.map((s) => JSON.stringify(s))).size).toBe(6);
  });

  test('an unknown format is an error', () => {
    expect(() => d2l.figure([1, 2], undefined, { fmts: ['q-'] })).toThrow(/format/);
  });
});

describe('axes and size', () => {
  test('log scales, limits (which clip) and labels', () => {
    const fig = d2l.figure([1, 10, 100], [1, 2, 3], {
      xscale: 'log',
      ylim: [0, 2.5],
      xlabel: 'n',
      ylabel: 'cost',
    });
    const enc = (fig.spec as unknown as { encoding: Record<string, { scale: object; axis: object }> })
      .encoding;
    expect(enc.x.scale).toMatchObject({ type: 'log' });
    expect(enc.y.scale).toMatchObject({ type: 'linear', domain: [0, 2.5] });
    expect([enc.x.axis, enc.y.axis]).toEqual([{ title: 'n' }, { title: 'cost' }]);
    expect(marks(fig)[0].clip).toBe(true);
    expect(validate(fig.spec)).toBe(true);
    drawn(fig); // compiles without warnings
  });

  test('set_figsize changes the default size; figsize overrides it', () => {
    d2l.set_figsize([5, 3]);
    expect([d2l.figure([1, 2]).width, d2l.figure([1, 2]).height]).toEqual([500, 300]);
    expect(d2l.figure([1, 2], undefined, { figsize: [2, 1] }).width).toBe(200);
    d2l.set_figsize();
    expect(d2l.figure([1, 2]).width).toBe(350);
  });

  test("no legend unless one is given (the book's default, an empty list, is none)", () => {
    for (const legend of [undefined, []])
      expect(d2l.figure([1, 2], undefined, { legend }).svg).not.toContain('role-legend');
  });
});

test('save writes PNG, SVG and the spec by extension, and refuses others', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-plot-'));
  const fig = d2l.figure([1, 2, 3]);
  fig.save(path.join(dir, 'f.png'));
  fig.save(path.join(dir, 'f.svg'));
  fig.save(path.join(dir, 'f.json'));
  expect(fs.readFileSync(path.join(dir, 'f.png'))).toEqual(fig.png);
  expect(fs.readFileSync(path.join(dir, 'f.svg'), 'utf8')).toBe(fig.svg);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'f.json'), 'utf8'))).toEqual(fig.spec);
  expect(() => fig.save(path.join(dir, 'f.pdf'))).toThrow(/\.png/);
  fs.rmSync(dir, { recursive: true });
});

test('outside a kernel, plot returns the figure', () => {
  expect(d2l.plot([1, 2, 3])).toBeInstanceOf(d2l.Figure);
});

describe('invalid values, as matplotlib treats them', () => {
  /** The `d` of each line's path, split into its subpaths (a gap starts a new one). */
  const subpaths = (fig: d2l.Figure): string[][] =>
    [...fig.svg.matchAll(/aria-roledescription="line mark" d="([^"]*)"/g)].map((m) =>
      m[1].split('M').filter(Boolean),
    );

  test('NaN breaks a line: the points on either side are not joined', () => {
    expect(subpaths(d2l.figure([1, 2, 3, 4, 5], [[1, 2, 3, 4, 5]]))[0]).toHaveLength(1);
    const [pieces] = subpaths(d2l.figure([1, 2, 3, 4, 5], [[1, NaN, 3, 4, 5]]));
    expect(pieces).toHaveLength(2);
    expect(pieces[0]).not.toContain('L'); // x = 1 stands alone
    expect(pieces[1].split('L')).toHaveLength(3); // x = 3, 4, 5
    const [inf] = subpaths(d2l.figure([1, 2, 3], [[1, Infinity, 3]]));
    expect(inf).toHaveLength(2);
  });

  test('a point marker at NaN is not drawn, and the rest are', () => {
    const svg = d2l.figure([1, 2, 3], [[1, NaN, 3]], { fmts: ['o'] }).svg;
    expect(svg).not.toContain('NaN');
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(2);
  });

  test('values that are not positive are left off a log axis, which spans the positive ones', () => {
    const fig = d2l.figure([1, 2, 3, 4], [[10, -1, 0, 1000]], { yscale: 'log' });
    expect(subpaths(fig)[0]).toHaveLength(2);
    const enc = (fig.spec as unknown as { encoding: { y: { scale: { domain: number[] } } } }).encoding;
    const [lo, hi] = enc.y.scale.domain;
    expect(lo).toBeGreaterThan(5);
    expect(hi).toBeLessThan(2000);
    expect(fig.svg).not.toContain('NaN');
  });

  test('a figure size that is not positive is an error naming figsize at the call', () => {
    for (const figsize of [
      [0, 2],
      [3, -1],
      [NaN, 2],
    ] as Array<[number, number]>) {
      expect(() => d2l.figure([1, 2], undefined, { figsize })).toThrow(/figsize/);
      expect(() => d2l.set_figsize(figsize)).toThrow(/figsize/);
    }
    expect(d2l.figure([1, 2]).width).toBe(350); // the default is untouched
  });
});
