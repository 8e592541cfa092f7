/**
 * src/kernel/converter.js against tslab's own converter, cell by cell: the same contract with tslab's
 * executor (what a cell exports, what the next cell is checked against, which cells stop on a type
 * error). Each scenario runs on both; the wire-level behaviour is in kernel.test.ts.
 */
import * as path from 'node:path';
import * as vm from 'node:vm';

interface Diagnostic {
  messageText: string;
  code: number;
  start: { line: number; character: number };
}
interface Converted {
  output?: string;
  declOutput?: string;
  diagnostics: Diagnostic[];
  hasToplevelAwait?: boolean;
  lastExpressionVar?: string;
  sideOutputs?: { path: string; data: string }[];
}
interface Converter {
  convert(prevDecl: string, src: string): Converted;
  complete(prevDecl: string, src: string, position: number): { candidates: string[] };
  inspect(prevDecl: string, src: string, position: number): unknown;
  addModule(name: string, content: string): Diagnostic[];
  close(): void;
  /** converter.js's: cells checked by a kept program, programs kept. */
  keptCounts?(): { cells: number; programs: number };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tslab = require('../../src/kernel/tslab');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { converterFactory } = require('../../src/kernel/converter');

/** converter.js created with one of its comparison switches set (read when it is created). */
function converterWith(name: 'D2L_KERNEL_CHECKER' | 'D2L_KERNEL_CJS', value: string): Converter {
  process.env[name] = value;
  try {
    return converterFactory(tslab)({});
  } finally {
    delete process.env[name];
  }
}

/** converter.js with a new program and checker for every cell (D2L_KERNEL_CHECKER=fresh). */
const freshConverter = () => converterWith('D2L_KERNEL_CHECKER', 'fresh');

const converters: [string, () => Converter][] = [
  ['src/kernel/converter.js', () => converterFactory(tslab)({})],
  ['src/kernel/converter.js, a fresh checker per cell', freshConverter],
  ["tslab's converter", () => tslab.internal('converter').createConverter({})],
];

/**
 * Cells run as tslab's executor runs them: converted against the declarations so far, the output
 * run in a function of `exports`; a cell's declarations kept only when it ran.
 */
class Session {
  decls = '';
  readonly exports: { [name: string]: unknown } = {};
  constructor(readonly converter: Converter) {}

  run(src: string): Converted & { value?: unknown } {
    const converted = this.converter.convert(this.decls, src);
    if (converted.diagnostics.length > 0) return converted;
    const fn = vm.runInThisContext(`(function(exports, require) { ${converted.output}\n})`);
    fn(this.exports, require);
    this.decls = converted.declOutput ?? '';
    const value = converted.lastExpressionVar ? this.exports[converted.lastExpressionVar] : undefined;
    return { ...converted, value };
  }
}

describe.each(converters)('%s', (_name, create) => {
  let converter: Converter;
  beforeAll(() => {
    converter = create();
  }, 120_000);
  afterAll(() => converter?.close());

  test('names a cell declares, destructured ones, functions, classes and enums, are read by later cells', () => {
    const s = new Session(converter);
    const declared = s.run(
      [
        'const lr = 0.03, num_epochs = 3;',
        'const { a, b: [bb, , cc] } = { a: 1, b: [2, 0, 3] };',
        'let [first, ...rest] = [10, 20, 30];',
        'function twice(x: number) { return 2 * x; }',
        'class Box { constructor(readonly v: number) {} }',
        'enum Color { Red, Green }',
        'interface Shape { n: number }',
        'type Pair = [number, number];',
      ].join('\n'),
    );
    expect(declared.diagnostics).toEqual([]);
    const used = s.run(
      'const shape: Shape = { n: new Box(twice(a)).v }; const p: Pair = [bb, cc];\n' +
        '[lr * num_epochs, shape.n, p[0] + p[1], first, rest.length, Color.Green]',
    );
    expect(used.diagnostics).toEqual([]);
    expect(used.value).toEqual([0.03 * 3, 2, 5, 10, 2, 1]);
  });

  test('a name re-declared by a later cell takes its new type; a type error against it stops the cell', () => {
    const s = new Session(converter);
    expect(s.run('const lr = 0.03;\nlet l = 1;').diagnostics).toEqual([]);
    expect(s.run("const lr = 'fast';\nlet l = [1, 2];").diagnostics).toEqual([]);
    expect(s.run('lr.length + l.length').value).toBe(6);
    const failed = s.run('const n: number = lr;');
    expect(failed.diagnostics.map((d) => d.code)).toEqual([2322]);
    expect(failed.diagnostics[0].start).toEqual({ offset: 6, line: 0, character: 6 });
  });

  test('a failed cell leaves the earlier declarations as they were for the next cell', () => {
    const s = new Session(converter);
    s.run('const a = 1;\nconst b = 2;');
    // Converted but not run (as when it throws): its declarations are not kept.
    expect(converter.convert(s.decls, 'const a = "x";').diagnostics).toEqual([]);
    expect(s.run('const c: number = a;').diagnostics).toEqual([]);
    expect(s.run('a + b + c').value).toBe(4);
  });

  test('top-level await makes an async cell; an await inside a function does not count as one', () => {
    const s = new Session(converter);
    expect(s.converter.convert('', 'await Promise.resolve(1)').hasToplevelAwait).toBe(true);
    const inner = s.converter.convert('', 'function f() { await Promise.resolve(1); }');
    expect(inner.diagnostics.map((d) => d.code)).toEqual([1308]);
  });

  test('an import is kept for later cells, and completion lists its names', () => {
    const s = new Session(converter);
    expect(s.run("import * as path from 'node:path';").diagnostics).toEqual([]);
    expect(s.run("path.join('a', 'b')").value).toBe('a/b');
    expect(converter.complete(s.decls, 'path.jo', 7).candidates).toContain('join');
  });

  test('a `//@module` cell is compiled with the first cell importing it, and again once changed', () => {
    expect(converter.addModule('sq_module', 'export function sq(x: number) { return x * x; }')).toEqual([]);
    const first = converter.convert('', "import { sq } from './sq_module';\nsq(3)");
    expect(first.diagnostics).toEqual([]);
    expect(first.sideOutputs?.map((out) => out.path.split('/').pop())).toEqual(['sq_module.js']);
    expect(first.sideOutputs?.[0].data).toMatch(/exports\.sq = sq/);
    expect(converter.convert('', "import { sq } from './sq_module';\nsq(4)").sideOutputs).toBeUndefined();
    const typo = converter.convert('', "import { sq } from './sq_module';\nsq('4')");
    expect(typo.diagnostics.map((d) => d.code)).toEqual([2345]);
    converter.addModule('sq_module', 'export function sq(x: number) { return x ** 2; }');
    const again = converter.convert('', "import { sq } from './sq_module';\nsq(5)");
    expect(again.sideOutputs?.[0].data).toMatch(/x \*\* 2/);
  });
});

describe("src/kernel/converter.js's pre-parse (the warm-up's parse, in slices, after the first reply)", () => {
  interface PreParsing extends Converter {
    preparse(done: () => void): void;
  }
  const create = (): PreParsing => converterFactory(tslab)({});
  const cells = (converter: Converter) => {
    const s = new Session(converter);
    expect(s.run("import * as tf from '@tensorflow/tfjs';").diagnostics).toEqual([]);
    expect(s.run('tf.tensor1d([1, 2, 3]).shape[0]').value).toBe(3);
    expect(s.run('const n: string = tf.tensor1d([1]).rank;').diagnostics.map((d) => d.code)).toEqual([2322]);
  };

  test('a cell arriving after its first slice stops it and is checked and run as without it', async () => {
    const converter = create();
    const done = jest.fn();
    converter.preparse(done);
    expect(done).not.toHaveBeenCalled(); // one slice parses only part of the libraries' types
    cells(converter);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toHaveBeenCalledTimes(1);
    converter.close();
  }, 60_000);

  test('cells after a complete pre-parse are checked and run as without it', async () => {
    const converter = create();
    await new Promise<void>((resolve) => converter.preparse(resolve));
    cells(converter);
    converter.close();
  }, 60_000);
});

describe("src/kernel/converter.js's kept checker answers each cell as a fresh program's checker does", () => {
  /** A cell, and whether it runs once converted (a cell that throws keeps no declarations). */
  type Cell = string | { src: string; throws: true };
  /**
   * Both converters take the cells in turn; a cell's declarations are the next one's when it
   * converted without diagnostics and did not throw (as tslab's executor keeps them).
   */
  function compare(cells: Cell[]) {
    const kept = converterFactory(tslab)({}) as Converter;
    const fresh = freshConverter();
    let [keptDecls, freshDecls] = ['', ''];
    /** The cells the kept program checked. */
    const checkedByKept: string[] = [];
    try {
      for (const cell of cells) {
        const src = typeof cell === 'string' ? cell : cell.src;
        const before = kept.keptCounts!().cells;
        const a = kept.convert(keptDecls, src);
        if (kept.keptCounts!().cells > before) checkedByKept.push(src);
        const b = fresh.convert(freshDecls, src);
        expect({ src, ...a }).toEqual({ src, ...b });
        if (a.diagnostics.length === 0 && typeof cell === 'string') keptDecls = a.declOutput ?? '';
        if (b.diagnostics.length === 0 && typeof cell === 'string') freshDecls = b.declOutput ?? '';
      }
      return { kept: kept.keptCounts!(), fresh: fresh.keptCounts!(), checkedByKept };
    } finally {
      kept.close();
      fresh.close();
    }
  }

  test('declarations, re-declarations, shadowed names changing type, type errors after them', () => {
    const counts = compare([
      "import * as tf from '@tensorflow/tfjs';",
      'const lr = 0.03;\nlet l = 1;',
      "const lr = 'fast';\nlet l = [1, 2];",
      'lr.length + l.length',
      'const n: number = lr;',
      'const n: number = lr;', // the same failing text again
      'const m: number = lr; 1', // the same error, at the same place, in another cell
      "function twice(x: number) { return { v: 2 * x, s: 'a' }; }",
      'const r: ReturnType<typeof twice> = twice(2);\nr.v',
      'const bad: ReturnType<typeof twice> = { v: 1 };',
      'function twice(x: string) { return x + x; }',
      "const r2: number = twice('a');",
      "r.s + twice('b')",
      'class Box { constructor(readonly v: number) {} }\nconst box = new Box(1);',
      'class Box { constructor(readonly w: string) {} }\nconst box2 = box;',
      "box2.v + box.v + new Box('x').w",
      'interface Shape { n: number }\ntype Pair = [number, number];\nenum Color { Red, Green }',
      "const shape: Shape = { n: 'x' };",
      'const p: Pair = [1, 2];\nColor.Blue',
      { src: 'const thrown = 1;', throws: true },
      'thrown',
      'const thrown = 2;\nthrown',
      'const t = tf.tensor1d([1, 2]);',
      'const rank: string = t.rank;',
      'tf.add(t, 1).dispose()',
      "import type { Tensor } from '@tensorflow/tfjs';\nlet tt: Tensor | undefined = t;",
      'tt?.rank',
    ]);
    expect(counts.fresh.cells).toBe(0);
    expect(counts.kept.cells).toBeGreaterThan(20); // most cells on the kept program
  }, 120_000);

  test('top-level await, imports (static, dynamic, type), @ts-expect-error, globals declared', () => {
    const counts = compare([
      'const a = 1;',
      'await Promise.resolve(a)',
      'function f() { await Promise.resolve(a); }',
      "import * as path from 'node:path';",
      "path.join('a', 'b')",
      "const os = await import('node:os');\nos.EOL",
      "let p2: typeof import('node:path') = path;",
      "const q: number = await import('node:os');",
      "// @ts-expect-error\nconst x: number = 'a';",
      '// @ts-expect-error\nconst y: number = 1;',
      "// @ts-ignore\nconst z: number = 'a';",
      'declare global { var GLOBAL_X: number }\nexport {};',
      'GLOBAL_X',
      'const undeclared_y = GLOBAL_Y;',
      "import { missing } from './no_such_module';",
      'a + 1',
      "import * as prev from './__prev__';\ntypeof prev",
      "import * as prev2 from './__prev__';\nconst a2 = 2;",
      "import * as prev3 from './__prev__';\na2 + 1",
    ]);
    expect(counts.fresh.cells).toBe(0);
    // Those after a cell of the same imports; not those importing anew or declaring a global.
    expect(counts.checkedByKept).toEqual([
      'await Promise.resolve(a)',
      'function f() { await Promise.resolve(a); }',
      "path.join('a', 'b')",
      '// @ts-expect-error\nconst y: number = 1;',
      "// @ts-ignore\nconst z: number = 'a';",
    ]);
  }, 120_000);

  test('completion and inspection answer as with a fresh checker, and leave the kept checker kept', () => {
    const kept = converterFactory(tslab)({}) as Converter;
    const fresh = freshConverter();
    try {
      const cells = [
        "import * as tf from '@tensorflow/tfjs';",
        'const true_w = tf.tensor1d([2, -3.4]);\nfunction twice(x: number) { return { v: 2 * x }; }',
      ];
      const decls = [kept, fresh].map((converter) =>
        cells.reduce((d, src) => converter.convert(d, src).declOutput ?? '', ''),
      );
      const before = kept.keptCounts!();
      for (const src of [
        'true_w.',
        'tf.ad',
        'twice(1).',
        "let s = 'abc'; s.",
        'Math.',
        "import * as p from 'node:path'; p.jo",
      ]) {
        expect({ src, ...kept.complete(decls[0], src, src.length) }).toEqual({
          src,
          ...fresh.complete(decls[1], src, src.length),
        });
      }
      for (const [src, at] of [
        ['true_w.shape', 8],
        ['tf.add(true_w, 1)', 4],
        ['twice(2).v', 1],
      ] as const) {
        expect([src, kept.inspect(decls[0], src, at)]).toEqual([src, fresh.inspect(decls[1], src, at)]);
      }
      // All but the new import answered by the kept program, which is still the one the cells made.
      expect(kept.keptCounts!()).toEqual({ cells: before.cells + 8, programs: before.programs });
    } finally {
      kept.close();
      fresh.close();
    }
  }, 120_000);

  test("what each cell leaves for the next (declOutput) is tslab's converter's, shadowing or not", () => {
    const ours = converterFactory(tslab)({}) as Converter;
    const theirs = tslab.internal('converter').createConverter({}) as Converter;
    const cells = [
      "import * as tf from '@tensorflow/tfjs';",
      'const lr = 0.03;\nlet l = 1;',
      '1 + 2',
      "const lr = 'fast';\nlet l = [1, 2];",
      'lr.length + l.length',
      'const c1 = 1;',
      '2 + 3',
      'class Box { constructor(readonly v: number) {} }\nconst box = new Box(1);',
      '3',
      'class Box { constructor(readonly w: string) {} }\nconst box2 = box;',
      '4',
      'const t = tf.tensor1d([1, 2]);\nconst a = 1;',
      'tf.add(t, 1).dispose()',
      'const a = 5;',
      '6',
    ];
    let [oursDecls, theirDecls] = ['', ''];
    try {
      for (const src of cells) {
        oursDecls = ours.convert(oursDecls, src).declOutput ?? '';
        theirDecls = theirs.convert(theirDecls, src).declOutput ?? '';
        expect([src, oursDecls]).toEqual([src, theirDecls]);
      }
      expect(ours.keptCounts!().cells).toBeGreaterThan(10);
    } finally {
      ours.close();
      theirs.close();
    }
  }, 120_000);

  test('a kept program checks a bounded number of cells before a new one is built', () => {
    const counts = compare(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? `const c_${i} = ${i};` : `1 + ${i}`)),
    );
    expect(counts.kept.cells).toBeGreaterThan(50);
    expect(counts.kept.programs).toBeGreaterThan(1);
  }, 120_000);

  test('a kept program half used is built anew when the kernel is idle; the next cell is checked by it', async () => {
    const converter = converterFactory(tslab)({}) as Converter & { renew(): void };
    try {
      let decls = '';
      const run = (src: string) => {
        const converted = converter.convert(decls, src);
        expect(converted.diagnostics).toEqual([]);
        decls = converted.declOutput ?? '';
      };
      for (let i = 0; i < 10; i++) run(`const c_${i} = ${i};`);
      converter.renew(); // not due yet: kept
      expect(converter.keptCounts!()).toEqual({ cells: 9, programs: 1 });
      for (let i = 10; i < 30; i++) run(`const c_${i} = ${i};`);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // idle: built anew
      expect(converter.keptCounts!()).toEqual({ cells: 29, programs: 2 });
      run('c_0 + c_29');
      expect(converter.keptCounts!()).toEqual({ cells: 30, programs: 2 });
      const failed = converter.convert(decls, 'const n: string = c_1;');
      expect(failed.diagnostics.map((d) => d.code)).toEqual([2322]);
    } finally {
      converter.close();
    }
  }, 120_000);
});

test("src/kernel/converter.js's JavaScript cells (tslab's jslab kernel) compile, run and leave their names", () => {
  const converter = converterFactory(tslab)({ isJS: true }) as Converter;
  try {
    const s = new Session(converter);
    expect(s.run('const a = 40;\nfunction f(x) { return x + 1; }').diagnostics).toEqual([]);
    const used = s.run('typeof f + (f(a) + 1)');
    expect(used.output).toBeDefined();
    expect(used.value).toBe('function42');
  } finally {
    converter.close();
  }
}, 120_000);

describe("src/kernel/converter.js's CommonJS from the one emit", () => {
  /** converter.js with tslab's second transpile (D2L_KERNEL_CJS=transpile). */
  const transpiling = () => converterWith('D2L_KERNEL_CJS', 'transpile');

  /** Runs the cells as tslab's executor does: what each leaves in `exports`, and its value. */
  async function run(converter: Converter, cells: string[]) {
    const exports: { [name: string]: unknown } = {};
    let decls = '';
    const results: unknown[] = [];
    for (const src of cells) {
      const converted = converter.convert(decls, src);
      expect(converted.diagnostics).toEqual([]);
      const wrapper = converted.hasToplevelAwait
        ? '(async function(exports, require) { '
        : '(function(exports, require) { ';
      await vm.runInThisContext(`${wrapper}${converted.output}\n})`)(exports, require);
      decls = converted.declOutput ?? '';
      const value = converted.lastExpressionVar ? exports[converted.lastExpressionVar] : undefined;
      results.push({ src, value, sideOutputs: converted.sideOutputs?.length ?? 0 });
    }
    const names = Object.keys(exports).sort();
    converter.close();
    return { results, names };
  }

  test('runs as the transpiled output tslab runs: exports, values, imports, enums, namespaces, await', async () => {
    const cells = [
      "import * as path from 'node:path';\nimport { join } from 'node:path';\nimport os from 'node:os';",
      "join('a', 'b') + path.sep + typeof os.EOL",
      'const { a, b: [bb] } = { a: 1, b: [2, 3] };\nlet q = a + bb;\nq++;\nq',
      'q = 10;\nq + a',
      'class K { static n = 1 }\nenum E { A, B }\nnamespace NS { export const v = 1 }\nK.n + E.B + NS.v',
      'function twice(x: number) { return 2 * x; }\nlet tsLastExpr = 3;\ntwice(tsLastExpr)',
      'async function af() { return q; }\nconst got = await af();\ngot + E.A',
    ];
    const emitted = await run(converterFactory(tslab)({}), cells);
    const transpiled = await run(transpiling(), cells);
    expect(emitted).toEqual(transpiled);
    expect(emitted.results.map((r) => (r as { value: unknown }).value)).toEqual([
      undefined,
      `a${path.sep}b${path.sep}string`,
      4,
      11,
      3,
      6,
      10,
    ]);
  }, 120_000);

  test("a `//@module` cell's CommonJS runs as the transpiled one", () => {
    const sides = [converterFactory(tslab)({}), transpiling()].map((converter) => {
      converter.addModule(
        'cjs_module',
        'export function sq(x: number) { return x * x; }\nexport enum M { A = 2 }',
      );
      const [side] = converter.convert('', "import { sq } from './cjs_module';\nsq(3)").sideOutputs ?? [];
      converter.close();
      const exports: { sq?: (x: number) => number; M?: { A: number } } = {};
      vm.runInThisContext(`(function(exports, require) { ${side.data}\n})`)(exports, require);
      return [exports.sq?.(3), exports.M?.A];
    });
    expect(sides).toEqual([
      [9, 2],
      [9, 2],
    ]);
  }, 120_000);
});
