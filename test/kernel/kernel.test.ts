/**
 * The d2l-ts kernel (tslab with src/kernel/preload.js) as Jupyter front ends meet it, over the wire:
 * each request answered as ipykernel answers it. Tracebacks' text: tracebacks.test.ts; @types: types.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { KERNEL_PRELOAD, kernelSpec } from '../../src/kernelspec';
import { tfjsNodeInstalled } from '../support/helpers';
import { concurrentSends } from '../support/zeromq-burst';
import { KernelSession, type Exchange } from '../support/kernel-session';
import type { JsonObject } from '../../src/runner/wire';
import { KEY } from '../../src/kernel/host';
import { PROJECT_ROOT } from '../../src/paths';

test('with the preload, concurrent sends on one socket all go out (bare zeromq rejects them: canaries.test.ts)', () => {
  expect(concurrentSends(KERNEL_PRELOAD)).toBe('ok');
});

/** Node ≥ 22.8 (module.enableCompileCache); @types/node 20 does not declare it. */
const hasCompileCache = 'enableCompileCache' in nodeModule;
(hasCompileCache ? test : test.skip)(
  "the kernel keeps V8's compiled code of the modules it loads in Node's compile cache",
  () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_COMPILE_CACHE;
    const code = "console.log(require('node:module').getCompileCacheDir() ?? 'none')";
    const r = spawnSync(process.execPath, ['--require', KERNEL_PRELOAD, '-e', code], {
      env,
      encoding: 'utf8',
    });
    expect(fs.existsSync(r.stdout.trim())).toBe(true);
  },
);

/**
 * The kernel as Jupyter front ends meet it: the kernelspec's argv (tslab with the preload), driven over
 * the wire protocol by a bare client.
 */
(tfjsNodeInstalled() ? test : test.skip)(
  "a notebook that imports @tensorflow/tfjs-node without d2l leaves the kernel's stderr empty",
  () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.TF_CPP_MIN_LOG_LEVEL;
    delete env.TF_ENABLE_ONEDNN_OPTS;
    const code =
      "const tf = require('@tensorflow/tfjs-node'); console.log(tf.getBackend(), tf.ones([2]).sum().dataSync()[0]);";
    const r = spawnSync(process.execPath, ['--require', KERNEL_PRELOAD, '-e', code], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('tensorflow 2\n');
    expect(r.stderr).toBe(''); // TensorFlow would write its absl, oneDNN and CPU-feature lines here
  },
  60_000,
);

describe('the d2l-ts kernel', () => {
  const tslabVersion = (): string =>
    JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules', 'tslab', 'package.json'), 'utf8'))
      .version;

  let kernel: KernelSession;
  beforeAll(async () => {
    kernel = await KernelSession.start(kernelSpec().argv, PROJECT_ROOT);
  }, 60_000);
  afterAll(() => kernel?.close());

  const errorOf = async ({ reply, iopub }: Exchange) => {
    const [content, messages] = [(await reply).content, await iopub];
    const published = messages.filter((m) => m.header.msg_type === 'error').map((m) => m.content);
    return { content, published, streams: messages.filter((m) => m.header.msg_type === 'stream') };
  };
  const internals = /node:|evalmachine|tslab[\\/]dist|__tslab__/;

  test('kernel_info has a complete language_info; history_request is answered', async () => {
    const info = (await kernel.send('kernel_info_request', {}).reply).content;
    expect(info.language_info).toEqual({
      name: 'typescript',
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      mimetype: 'text/typescript',
      file_extension: '.ts',
      codemirror_mode: { name: 'typescript', typescript: true },
      pygments_lexer: 'typescript',
    });
    expect(info.implementation_version).toBe(tslabVersion());
    const history = await kernel.send('history_request', {
      output: false,
      raw: true,
      hist_access_type: 'tail',
      n: 10,
    });
    expect((await history.reply).header.msg_type).toBe('history_reply');
    expect((await history.reply).content).toEqual({ status: 'ok', history: [] });
    expect((await history.iopub).map((m) => m.content.execution_state)).toEqual(['busy', 'idle']);
  });

  test('comm_info_request is answered with a comm_info_reply listing no comms', async () => {
    const info = kernel.send('comm_info_request', { target_name: 'jupyter.widget' });
    expect((await info.reply).header.msg_type).toBe('comm_info_reply');
    expect((await info.reply).content).toEqual({ status: 'ok', comms: {} });
    expect((await info.iopub).map((m) => m.content.execution_state)).toEqual(['busy', 'idle']);
  });

  test("a cell's last expression is its execute_result (Out[n]), after what the cell printed", async () => {
    const shown = kernel.execute('const xs = [1, 2, 3];\nconsole.log("doubled:");\nxs.map((x) => x * 2)');
    const count = (await shown.reply).content.execution_count;
    const messages = (await shown.iopub).filter((m) => m.header.msg_type !== 'status');
    expect(messages.map((m) => [m.header.msg_type, m.content])).toEqual([
      ['execute_input', expect.objectContaining({ execution_count: count })],
      ['stream', { name: 'stdout', text: 'doubled:\n' }],
      ['execute_result', { data: { 'text/plain': '[ 2, 4, 6 ]' }, metadata: {}, execution_count: count }],
    ]);
    // Strings as Node's REPL and ipykernel show them: quoted.
    const text = (await kernel.execute('"a" + "b"').iopub).find(
      (m) => m.header.msg_type === 'execute_result',
    );
    expect(text?.content.data).toEqual({ 'text/plain': "'ab'" });
  });

  test.each([
    ['a statement', 'const z = 1;'],
    ['an expression whose value is undefined', 'console.log("printed")'],
    ['a declaration after an expression', '1 + 1;\nfunction g() {}'],
  ])('a cell ending in %s sends no execute_result', async (_what, code) => {
    const exchange = kernel.execute(code);
    expect((await exchange.reply).content.status).toBe('ok');
    expect((await exchange.iopub).map((m) => m.header.msg_type)).not.toContain('execute_result');
  });

  describe("completion and help on d2l's and TensorFlow.js's names", () => {
    beforeAll(async () => {
      const imports = kernel.execute("import * as d2l from 'd2l';\nimport * as tf from '@tensorflow/tfjs';");
      expect((await imports.reply).content.status).toBe('ok');
    }, 60_000);

    const complete = async (code: string) => {
      const exchange = kernel.send('complete_request', { code, cursor_pos: code.length });
      const reply = await exchange.reply;
      expect(reply.header.msg_type).toBe('complete_reply');
      // A front end takes the reply once the request's idle status came (JupyterLab's future is `done`).
      expect((await exchange.iopub).map((m) => m.content.execution_state)).toEqual(['busy', 'idle']);
      return reply.content;
    };

    test("complete_request after `d2l.` and `tf.` lists the packages' names", async () => {
      expect(await complete('d2l.')).toMatchObject({ status: 'ok', cursor_start: 4, cursor_end: 4 });
      expect((await complete('d2l.')).matches).toEqual(
        expect.arrayContaining(['synthetic_data', 'data_iter', 'linreg', 'squared_loss', 'sgd', 'plot']),
      );
      expect((await complete('tf.')).matches).toEqual(expect.arrayContaining(['tensor', 'matMul', 'tidy']));
      const partial = await complete('const data = d2l.syn');
      expect(partial).toMatchObject({ cursor_start: 17, cursor_end: 20 });
      expect(partial.matches).toContain('synthetic_data');
    });

    test('inspect_request on d2l.synthetic_data gives its signature and doc comment', async () => {
      const code = 'd2l.synthetic_data';
      const reply = await kernel.send('inspect_request', { code, cursor_pos: code.length, detail_level: 0 })
        .reply;
      expect(reply.header.msg_type).toBe('inspect_reply');
      expect(reply.content).toMatchObject({ status: 'ok', found: true });
      const help = (reply.content.data as Record<string, string>)['text/plain'];
      expect(help).toMatch(/^function synthetic_data\(w: [\w.]*Tensor1D, b: number, num_examples: number\)/);
      expect(help).toContain('Generates y = Xw + b + noise');
      expect(help).toContain('@param num_examples');
    });
  });

  test('a thrown error is an error message and reply, with frames from the cell only', async () => {
    await kernel.execute('function f(x: number) {\n  throw new RangeError(`bad ${x}`);\n}').reply;
    const { content, published, streams } = await errorOf(kernel.execute('const y = 2;\nf(y);'));
    expect(streams).toEqual([]);
    expect(content).toMatchObject({ status: 'error', ename: 'RangeError', evalue: 'bad 2' });
    expect(published).toEqual([{ ename: 'RangeError', evalue: 'bad 2', traceback: content.traceback }]);
    const traceback = content.traceback as string[];
    expect(traceback[0]).toBe('RangeError: bad 2');
    expect(traceback.slice(1)).toEqual([
      expect.stringMatching(/^ {4}at f \(Cell In\[\d+\], line 2\)$/),
      expect.stringMatching(/^ {4}at Cell In\[\d+\], line 2$/),
    ]);
  });

  test('a compile error and a rejected await are errors too; execute_input carries the count', async () => {
    const compile = kernel.execute('const s: number = "text";');
    const { content, published } = await errorOf(compile);
    expect(content).toMatchObject({ status: 'error', ename: 'CompileError' });
    expect(content.evalue).toMatch(/not assignable/);
    expect(published).toHaveLength(1);
    const input = (await compile.iopub).find((m) => m.header.msg_type === 'execute_input');
    expect(input?.content).toEqual({
      code: 'const s: number = "text";',
      execution_count: content.execution_count,
    });

    const rejected = await errorOf(kernel.execute('await Promise.reject(new TypeError("no"));'));
    expect(rejected.content).toMatchObject({ status: 'error', ename: 'TypeError', evalue: 'no' });
    expect((rejected.content.traceback as string[]).join('\n')).not.toMatch(internals);
    const thrown = await errorOf(kernel.execute('throw { code: 7 };'));
    expect(thrown.content).toMatchObject({ status: 'error', ename: 'Error', evalue: '{ code: 7 }' });
  });

  test('an error in TensorFlow.js keeps its frames down to the cell, not below', async () => {
    const { content } = await errorOf(
      kernel.execute('import * as tf from "@tensorflow/tfjs";\ntf.tensor([1, 2]).reshape([3]);'),
    );
    expect(content).toMatchObject({ status: 'error', ename: 'Error' });
    const traceback = content.traceback as string[];
    expect(traceback[traceback.length - 1]).toMatch(/^ {4}at Cell In\[\d+\]/);
    expect(traceback.join('\n')).not.toMatch(internals);
  });

  test("d2l's plot and Animator show their figures through the host object, each as whole bundles", async () => {
    const outputs = async (code: string) => {
      const { reply, iopub } = kernel.execute(code);
      expect((await reply).content.status).toBe('ok');
      return (await iopub).filter((m) => /display_data$/.test(m.header.msg_type));
    };
    const keys = (m: { content: JsonObject }) => Object.keys(m.content.data as JsonObject).sort();
    const all = ['application/vnd.vegalite.v5+json', 'image/png', 'text/plain'];
    const plotted = await outputs("import * as d2l from 'd2l';\nd2l.plot([1, 2, 3], [[1, 4, 9]]);");
    expect(plotted.map((m) => [m.header.msg_type, keys(m)])).toEqual([['display_data', all]]);
    const animated = await outputs(
      'const board = new d2l.Animator();\nfor (let i = 1; i <= 3; i++) await board.add(i, i * i);',
    );
    // The first redraw, then the last state with its PNG at the cell's end, in the same output.
    expect(animated.map((m) => m.header.msg_type)).toEqual(['display_data', 'update_display_data']);
    expect(keys(animated[1])).toEqual(all);
    expect(new Set(animated.map((m) => (m.content.transient as JsonObject).display_id)).size).toBe(1);
  });

  test("the host object's cell-end hooks run once when their cell ends, before it goes idle, a failing cell too", async () => {
    const hooks = `const hooks = { add: (globalThis as any)[Symbol.for(${JSON.stringify(KEY.description)})].atCellEnd };\n`;
    const texts = async ({ iopub }: Exchange) =>
      (await iopub).filter((m) => m.header.msg_type === 'stream').map((m) => m.content.text);
    const ok = kernel.execute(`${hooks}hooks.add(() => console.log("ended"));\nconsole.log("ran");`);
    expect(await texts(ok)).toEqual(['ran\n', 'ended\n']);
    expect(await texts(kernel.execute('console.log("next");'))).toEqual(['next\n']);
    const failing = kernel.execute('hooks.add(() => console.log("ended anyway"));\nthrow new Error("x");');
    expect((await failing.reply).content.status).toBe('error');
    expect(await texts(failing)).toEqual(['ended anyway\n']);
  });

  test('a request sent right after an error runs; those queued behind the failing cell are aborted', async () => {
    const failing = kernel.execute('await new Promise((r) => setTimeout(r, 300));\nthrow new Error("late");');
    const queued = kernel.execute('console.log("queued behind");');
    expect((await failing.reply).content.status).toBe('error');
    const next = kernel.execute('console.log("sent after the error");');
    expect((await queued.reply).content).toEqual({ status: 'aborted' });
    expect((await queued.iopub).filter((m) => m.header.msg_type === 'stream')).toEqual([]);
    expect((await next.reply).content.status).toBe('ok');
    expect((await next.iopub).find((m) => m.header.msg_type === 'stream')?.content.text).toBe(
      'sent after the error\n',
    );
  });

  test('a request waiting unread while a synchronous cell fails is aborted; one sent after the error runs', async () => {
    const failing = kernel.execute(
      'const until = Date.now() + 700;\nwhile (Date.now() < until) {}\nthrow new Error("x");',
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // the kernel is busy: this one waits on the socket
    const waiting = kernel.execute('console.log("waited");');
    expect((await failing.reply).content.status).toBe('error');
    expect((await waiting.reply).content).toEqual({ status: 'aborted' });
    // Sent once the backlog is answered: a request that lands while the kernel is still draining it
    // (a few ms after the error reply) is aborted too, as with ipykernel.
    const after = kernel.execute('console.log("after");');
    expect((await after.reply).content.status).toBe('ok');
  });

  test.each([
    ['a busy loop', 'while (true) {}'],
    ['a pending await', 'await new Promise(() => {});'],
  ])('an interrupt stops %s, and the next cell runs at once', async (_what, code) => {
    const stuck = kernel.execute(code);
    await new Promise((resolve) => setTimeout(resolve, 500));
    kernel.interrupt();
    const { content } = await errorOf(stuck);
    expect(content).toMatchObject({ status: 'error', ename: 'Interrupted' });
    const next = kernel.execute('console.log(6 * 7);');
    expect((await next.reply).content.status).toBe('ok');
    expect((await next.iopub).find((m) => m.header.msg_type === 'stream')?.content.text).toBe('42\n');
  });
});

describe('a new kernel (src/kernel/converter.js warms its TypeScript program once the shell is quiet)', () => {
  let kernel: KernelSession;
  beforeAll(async () => {
    kernel = await KernelSession.start(kernelSpec().argv, PROJECT_ROOT);
  }, 60_000);
  afterAll(() => kernel?.close());

  const outcome = async ({ reply, iopub }: Exchange) => {
    const messages = await iopub;
    return {
      status: (await reply).content.status,
      result: messages.find((m) => m.header.msg_type === 'execute_result')?.content.data,
      error: messages.find((m) => m.header.msg_type === 'error')?.content.ename,
    };
  };

  test('cells sent while the warm-up runs are checked and run in order; a redeclared name is typed anew', async () => {
    // The warm-up starts 1.5 s after the last request and takes longer than the gap left here.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const cells = [
      "import * as tf from '@tensorflow/tfjs';\nconst lr = 0.03;",
      'const { a, b: [c] } = { a: lr * 100, b: [tf.tensor1d([1, 2]).shape[0]] };\n[a, c]',
      "const lr = 'fast';\nlr.length",
      'const n: number = lr;',
      'let l = 1;\nlet l2 = l + 1;',
      'let l = [l2];\nl.length',
    ].map((code) => kernel.execute(code));
    const outcomes = await Promise.all(cells.map(outcome));
    expect(outcomes).toEqual([
      { status: 'ok', result: undefined, error: undefined },
      { status: 'ok', result: { 'text/plain': '[ 3, 2 ]' }, error: undefined },
      { status: 'ok', result: { 'text/plain': '4' }, error: undefined },
      { status: 'error', result: undefined, error: 'CompileError' },
      // Queued behind a failing cell: aborted, as ipykernel aborts them.
      { status: 'aborted', result: undefined, error: undefined },
      { status: 'aborted', result: undefined, error: undefined },
    ]);
    const again = await outcome(kernel.execute('let l = 1;\nlet l2 = l + 1;\nl2'));
    expect(again).toEqual({ status: 'ok', result: { 'text/plain': '2' }, error: undefined });
    expect(await outcome(kernel.execute('let l = [l2];\nl.length'))).toEqual({
      status: 'ok',
      result: { 'text/plain': '1' },
      error: undefined,
    });
  }, 120_000);
});

describe('a new kernel interrupted while its first cell waits for the TypeScript program', () => {
  let kernel: KernelSession;
  beforeAll(async () => {
    kernel = await KernelSession.start(kernelSpec().argv, PROJECT_ROOT);
  }, 60_000);
  afterAll(() => kernel?.close());

  test('the interrupt stops the cell (a busy loop that had not started yet), and the next cell runs', async () => {
    const stuck = kernel.execute('while (true) {}');
    // Well within the seconds the first cell spends building the program before its script starts.
    await new Promise((resolve) => setTimeout(resolve, 300));
    kernel.interrupt();
    const reply = (await stuck.reply).content;
    expect(reply).toMatchObject({ status: 'error', ename: 'Interrupted' });
    const next = kernel.execute('console.log(6 * 7);');
    expect((await next.reply).content.status).toBe('ok');
  }, 60_000);
});
