/**
 * The check's comparison rules, without a kernel: numbers within and beyond the tolerance, streams,
 * vega-lite specs, PNG pixels, tags, sanitizers, missing and extra outputs, and the report of a
 * mismatch in JUnit XML.
 */
import { PNG } from 'pngjs';
import { checkCell, CHECK_DEFAULTS, parseSanitizers, type CheckOptions } from '../../src/runner/check';
import { compareOutputs } from '../../src/runner/check/compare';
import { compareSpecs } from '../../src/runner/check/spec';
import type { Cell } from '../../src/runner/notebook';
import type { Output } from '../../src/runner/outputs';
import { githubAnnotations, junitXml, notebookReports } from '../../src/runner/report';
import type { NotebookResult } from '../../src/runner';

const stdout = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text });
const display = (data: Record<string, unknown>): Output => ({
  output_type: 'display_data',
  data,
  metadata: {},
});
const error = (ename: string, evalue: string, traceback: string[] = []): Output => ({
  output_type: 'error',
  ename,
  evalue,
  traceback,
});
const cell = (outputs: Output[], tags: string[] = []): Cell => ({
  cell_type: 'code',
  source: 'console.log(loss);\nmore();',
  metadata: tags.length > 0 ? { tags } : {},
  outputs,
});
const at = { codeCell: 3, cellIndex: 5 };

describe('numbers in text', () => {
  const saved = [stdout('epoch 1, loss 0.044283\nepoch 2, loss 0.000182\n')];

  it('passes numbers within the tolerance and the same text around them', () => {
    const rerun = [stdout('epoch 1, loss 0.0442831\nepoch 2, loss 0.00018200001\n')];
    expect(compareOutputs(saved, rerun)).toEqual([]);
  });

  it('fails a number beyond the tolerance, with a unified diff marking it', () => {
    const [difference, ...rest] = compareOutputs(saved, [
      stdout('epoch 1, loss 0.051234\nepoch 2, loss 0.000182\n'),
    ]);
    expect(rest).toEqual([]);
    expect(difference.what).toMatch(/^stdout/);
    expect(difference.lines).toEqual([
      '--- saved',
      '+++ new',
      '@@ -1,2 +1,2 @@',
      '-epoch 1, loss 0.044283',
      '+epoch 1, loss 0.051234',
      '?              ^^^^^^^^',
      ' epoch 2, loss 0.000182',
    ]);
  });

  it('takes its tolerances from the options', () => {
    const rerun = [stdout('epoch 1, loss 0.0443\nepoch 2, loss 0.000182\n')];
    expect(compareOutputs(saved, rerun)).toHaveLength(1);
    expect(compareOutputs(saved, rerun, [], { ...CHECK_DEFAULTS, rtol: 1e-3 })).toEqual([]);
    expect(compareOutputs(saved, rerun, [], { ...CHECK_DEFAULTS, atol: 1e-4 })).toEqual([]);
  });

  it('compares the text around numbers exactly, but not the width of the padding between them', () => {
    const tensor = stdout('Tensor\n    [[1.092558  , 1.2462072 ],\n     [-2.0047052, 0.573137  ]]\n');
    const wider = stdout('Tensor\n    [[1.0925581 , 1.2462072 ],\n     [-2.0047052, 0.573137  ]]\n');
    expect(compareOutputs([tensor], [wider])).toEqual([]);
    expect(compareOutputs([stdout('epoch 1, loss 0.1\n')], [stdout('epoch 1, lost 0.1\n')])).toHaveLength(1);
    // An integer is a number like any other: a changed count fails.
    expect(compareOutputs([stdout('epoch 1\n')], [stdout('epoch 2\n')])).toHaveLength(1);
  });
});

describe('streams', () => {
  it('joins the streams of one name, then applies \\r and \\b, as nbval', () => {
    const saved = [stdout('progress 100%\ndone\n')];
    const rerun: Output[] = [
      stdout('progress 10%\rprogress 50%\r'),
      { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
      stdout('progress 100%\ndox\bne\n'),
    ];
    const differences = compareOutputs(saved, rerun);
    // stdout matches; the only difference is the stderr the saved outputs lack.
    expect(differences).toHaveLength(1);
    expect(differences[0].what).toMatch(/^stderr: new/);
  });
});

describe('missing and extra outputs', () => {
  it('names an output the re-run lacks and one it adds, and pairs the others in order', () => {
    const plot = display({ 'text/plain': '<Figure 350×250>' });
    const saved = [stdout('a\n'), plot, display({ 'text/plain': 'second' })];
    const missing = compareOutputs(saved, [stdout('a\n'), plot]);
    expect(missing.map((d) => d.what)).toEqual([expect.stringMatching(/^display 2: missing/)]);
    expect(missing[0].lines).toEqual(['text/plain: second']);
    const extra = compareOutputs([plot], [stdout('new line\n'), plot]);
    expect(extra.map((d) => d.what)).toEqual([expect.stringMatching(/^stdout: new/)]);
  });

  it('names a MIME type missing from or new in a bundle', () => {
    const saved = [display({ 'text/plain': 'x', 'text/html': '<b>x</b>' })];
    const differences = compareOutputs(saved, [display({ 'text/plain': 'x', 'text/markdown': '**x**' })]);
    expect(differences.map((d) => d.what)).toEqual([
      expect.stringMatching(/text\/html: missing/),
      expect.stringMatching(/text\/markdown: new/),
    ]);
  });
});

describe('errors and the raises-exception tag', () => {
  it('compares an error by name and message, not by its traceback', () => {
    const saved = [error('TypeError', 'boom', ['at line 1'])];
    expect(compareOutputs(saved, [error('TypeError', 'boom', ['at line 2', 'elsewhere'])])).toEqual([]);
    const [difference] = compareOutputs(saved, [error('TypeError', 'bang')]);
    expect(difference.lines).toContain('+TypeError: bang');
  });

  it('passes an expected exception, and fails a cell tagged raises-exception that ran without one', () => {
    const saved = [error('RangeError', 'lr must be positive')];
    expect(
      checkCell(
        cell([error('RangeError', 'lr must be positive')], ['raises-exception']),
        saved,
        at,
        CHECK_DEFAULTS,
      ),
    ).toBeNull();
    const quiet = checkCell(cell([], ['raises-exception']), saved, at, CHECK_DEFAULTS);
    expect(quiet).toMatchObject({ codeCell: 3, cellIndex: 5 });
    expect(quiet!.differences.map((d) => d.what)).toEqual([
      expect.stringMatching(/raises-exception/),
      expect.stringMatching(/^error: missing/),
    ]);
  });
});

describe('tags', () => {
  const saved = [stdout('random 0.123\n')];
  const rerun = cell([stdout('random 0.987\n')]);

  it('nbval-ignore-output: the cell runs, its outputs are not compared', () => {
    expect(checkCell(rerun, saved, at, CHECK_DEFAULTS)).not.toBeNull();
    expect(
      checkCell({ ...rerun, metadata: { tags: ['nbval-ignore-output'] } }, saved, at, CHECK_DEFAULTS),
    ).toBeNull();
  });

  it('lax: only the cells tagged nbval-check-output are compared', () => {
    const lax: CheckOptions = { ...CHECK_DEFAULTS, lax: true };
    expect(checkCell(rerun, saved, at, lax)).toBeNull();
    expect(
      checkCell({ ...rerun, metadata: { tags: ['nbval-check-output'] } }, saved, at, lax),
    ).not.toBeNull();
  });
});

describe('sanitizers', () => {
  it("reads nbval's format and applies it to both sides", () => {
    const file = [
      '[dates]',
      'regex: \\d{4}-\\d\\d-\\d\\d',
      'replace: DATE',
      '',
      '# the run id keeps its prefix',
      '[ids]',
      'regex: (run)-[0-9a-f]{8}',
      'replace: \\1-ID',
    ].join('\n');
    const sanitizers = parseSanitizers(file);
    const saved = [stdout('run-0badf00d on 2026-01-02\n')];
    const rerun = [stdout('run-deadbeef on 2026-12-06\n')];
    expect(compareOutputs(saved, rerun)).toHaveLength(1);
    const options = { ...CHECK_DEFAULTS, sanitizers: [...CHECK_DEFAULTS.sanitizers, ...sanitizers] };
    expect(compareOutputs(saved, rerun, [], options)).toEqual([]);
    // Only what the sanitizer replaces is spared: the rest still counts.
    expect(compareOutputs(saved, [stdout('job-deadbeef on 2026-12-06\n')], [], options)).toHaveLength(1);
  });

  it('rejects a malformed file, naming the line', () => {
    expect(() => parseSanitizers('regex: a\nregex: b\nreplace: c', 'f.cfg')).toThrow(/f\.cfg:1/);
    expect(() => parseSanitizers('replace: c', 'f.cfg')).toThrow(/f\.cfg:1/);
    expect(() => parseSanitizers('regex: (\nreplace: c', 'f.cfg')).toThrow(/f\.cfg:1/);
    expect(() => parseSanitizers('regex: a', 'f.cfg')).toThrow(/f\.cfg:1/);
  });

  it('spares by default what never repeats: durations, Timer ratios, the backend name', () => {
    const native = [
      stdout('backend: tensorflow\n'),
      stdout('element by element: 0.12039 sec\nat once:            0.00135 sec\n'),
      stdout('the loop took 89× as long, on the tensorflow backend\n'),
    ];
    const wasm = [
      stdout('backend: wasm\n'),
      stdout('element by element: 0.51234 sec\nat once:            0.01000 sec\n'),
      stdout('the loop took 51× as long, on the wasm backend\n'),
    ];
    expect(compareOutputs(native, wasm)).toEqual([]);
    expect(
      compareOutputs(
        [
          stdout(
            '后端：tensorflow\n逐元素相加：0.27914 秒\n循环的用时是一次相加的 20 倍（tensorflow 后端）\n',
          ),
        ],
        [stdout('后端：wasm\n逐元素相加：0.5 秒\n循环的用时是一次相加的 3 倍（wasm 后端）\n')],
      ),
    ).toEqual([]);
    expect(compareOutputs(native, wasm, [], { ...CHECK_DEFAULTS, sanitizers: [] })).toHaveLength(1);
  });
});

describe('vega-lite specs', () => {
  const spec = (values: string, title = 'loss', domain = [0.0000175, 21.2]): unknown => ({
    mark: 'line',
    data: { values, format: { type: 'json' } },
    encoding: {
      x: { field: 'x', type: 'quantitative' },
      y: { field: 'y', type: 'quantitative', axis: { title }, scale: { type: 'log', domain } },
    },
  });
  const saved = spec('[{"0":[5.465,0.0001538,154],"x":[50,100,150]}]');

  it('passes data within the tolerance (and one unit of the last digit the plot was rounded to)', () => {
    expect(
      compareSpecs(saved, spec('[{"0":[5.465,0.0001537,155],"x":[50,100,150]}]'), CHECK_DEFAULTS),
    ).toEqual([]);
    expect(
      compareSpecs(
        saved,
        spec('[{"0":[5.465,0.0001538,154],"x":[50,100,150]}]', 'loss', [0.00001750001, 21.2]),
        CHECK_DEFAULTS,
      ),
    ).toEqual([]);
  });

  it('fails data beyond it, and any change to the encoding', () => {
    expect(
      compareSpecs(saved, spec('[{"0":[6.632,0.0001538,154],"x":[50,100,150]}]'), CHECK_DEFAULTS),
    ).toEqual([expect.stringMatching(/^\/data\/values: 1 of \d+ numbers .*5\.465 → 6\.632/)]);
    expect(
      compareSpecs(saved, spec('[{"0":[5.465,0.0001538,154],"x":[50,100,150]}]', 'error'), CHECK_DEFAULTS),
    ).toEqual(['/encoding/y/axis/title: "loss" → "error"']);
    const { encoding } = saved as { encoding: { y: { type: string } } };
    const nominal = {
      ...(saved as object),
      encoding: { ...encoding, y: { ...encoding.y, type: 'nominal' } },
    };
    expect(compareSpecs(saved, nominal, CHECK_DEFAULTS)).toHaveLength(1);
  });
});

/**
 * A 400×300 white picture with a dark curve y = f(x), anti-aliased; `jitter` moves each partly covered
 * (edge) pixel by up to that many levels, as another rasteriser's anti-aliasing or font hinting does.
 */
function plot(f: (x: number) => number, jitter = 0): string {
  const [width, height] = [400, 300];
  const png = new PNG({ width, height });
  png.data.fill(255);
  let seed = 1;
  const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
  for (let x = 0; x < width; x++) {
    const y = f(x);
    for (let row = 0; row < height; row++) {
      const coverage = Math.max(0, 1 - Math.abs(row - y) / 1.5);
      const edge = coverage > 0 && coverage < 0.9 ? Math.round(jitter * random()) : 0;
      const i = (row * width + x) * 4;
      for (let c = 0; c < 3; c++) png.data[i + c] = Math.min(255, Math.max(0, 255 - 230 * coverage + edge));
    }
  }
  return PNG.sync.write(png).toString('base64');
}

describe('PNGs by their pixels', () => {
  const curve = (x: number): number => 250 - 200 * Math.exp(-x / 80);
  const saved = [display({ 'image/png': plot(curve) })];

  it('passes a re-render whose edge pixels differ (anti-aliasing, hinting)', () => {
    const differences = compareOutputs(saved, [display({ 'image/png': plot(curve, 24) })]);
    expect(differences).toEqual([]);
  });

  it('fails a changed plot, saying by how much and where, never printing base64', () => {
    const changed = plot((x) => (x < 240 ? curve(x) : 250 - 200 * Math.exp(-x / 60)));
    const [difference, ...rest] = compareOutputs(saved, [display({ 'image/png': changed })]);
    expect(rest).toEqual([]);
    expect(difference.what).toMatch(/image\/png.*RMS \d+\.\d+ > tolerance 2/);
    // The changed pixels are right of x = 240.
    const [, left, right] = /x (\d+)–(\d+)/.exec(difference.lines[0])!.map(Number);
    expect(left).toBeGreaterThanOrEqual(240);
    expect(right).toBeLessThan(400);
    expect(JSON.stringify(difference)).not.toContain(changed.slice(0, 40));
  });

  it('fails a picture of another size; the check-ignore-image tag spares the pixels only', () => {
    const small = new PNG({ width: 10, height: 10 });
    const other = [
      display({ 'image/png': PNG.sync.write(small).toString('base64'), 'text/plain': '<Figure>' }),
    ];
    const withText = [display({ 'image/png': plot(curve), 'text/plain': '<Figure>' })];
    expect(compareOutputs(withText, other).map((d) => d.what)).toEqual([
      expect.stringMatching(/400×300 → 10×10/),
    ]);
    expect(compareOutputs(withText, other, ['check-ignore-image'])).toEqual([]);
  });
});

describe('junitXml of a check', () => {
  it('records a mismatch as a failure of that cell (an nbval-skip cell as skipped), an annotation and a report', () => {
    const result: NotebookResult = {
      notebook: 'nb.ipynb',
      written: null,
      status: 'mismatch',
      cells: 3,
      executed: 3,
      cellSeconds: [0.1, 0, 0.2],
      storedErrors: [],
      cut: [],
      seconds: 1,
      skipped: [2],
      mismatches: [
        {
          codeCell: 3,
          cellIndex: 4,
          source: 'train()',
          differences: [{ what: 'stdout differs', lines: ['-loss 0.1', '+loss 0.2'] }],
        },
      ],
    };
    const xml = junitXml([result]);
    // The same mismatch in the log, as a GitHub annotation, and in the printed report.
    expect(githubAnnotations([result])).toEqual([
      expect.stringMatching(/^::error file=nb\.ipynb,title=cell 3\/3%3A .*::stdout differs%0A/),
    ]);
    expect(notebookReports(result).join('\n')).toMatch(
      /nb\.ipynb: cell 3\/3 \(cell 4 in the file\).*\n {2}│ train\(\)\n {2}stdout differs\n {4}-loss 0\.1/,
    );
    expect(xml).toMatch(/<testsuite name="nb\.ipynb" tests="3" failures="1" errors="0" skipped="1"/);
    expect(xml).toMatch(
      /<testcase classname="nb\.ipynb" name="cell 3"[^>]*><failure message="[^"]*stdout[^"]*" type="OutputMismatch">stdout differs\n {2}-loss 0\.1/,
    );
  });
});
