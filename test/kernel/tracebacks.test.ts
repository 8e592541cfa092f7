/**
 * What a failed cell reports (src/kernel/tracebacks.js), on plain strings: the live kernel's errors are
 * tested over the wire in kernel.test.ts.
 */
import { compileError, isInterrupt, thrownError, userFrames, type Cells } from '../../src/kernel/tracebacks';

const TSLAB = '/project/node_modules/tslab/dist';

/** Cell 3 as written, and as tslab compiled it (wrapped in a function its last line calls). */
const cells: Cells = new Map([
  [
    'In[3]',
    {
      ts: ['function f(x: number) {', '  throw new RangeError(`bad ${x}`);', '}', 'const y = 2;', 'f(y);'],
      js: [
        '(function(exports, require) { function f(x) {',
        '    throw new RangeError(`bad ${x}`);',
        '}',
        'exports.f = f;',
        'const y = 2;',
        'exports.tsLastExpr = (0, exports.f)(y);',
        '',
        '})(__tslab__.exports, __tslab__.require)',
      ],
    },
  ],
]);

function errorWithStack(name: string, message: string, stack: string[]): Error {
  const error = new Error(message);
  error.name = name;
  error.stack = stack.join('\n');
  return error;
}

describe('compileError', () => {
  test('points at each diagnostic in the cell, and counts the others in evalue', () => {
    const error = compileError(
      [
        ['', 1, 7, "Type 'string' is not assignable to type 'number'."],
        ['', 2, 1, "Cannot find name 'z'."],
      ],
      'const s: number = "text";\nz;',
    );
    expect(error).toEqual({
      ename: 'CompileError',
      evalue: "Type 'string' is not assignable to type 'number'. (and 1 more)",
      traceback: [
        "1:7 - Type 'string' is not assignable to type 'number'.",
        '    const s: number = "text";',
        '          ^',
        "2:1 - Cannot find name 'z'.",
        '    z;',
        '    ^',
      ],
    });
  });

  test('a diagnostic in another file names the file, without code', () => {
    const error = compileError([['lib.ts', 4, 2, 'Duplicate identifier.']], 'x');
    expect(error).toEqual({
      ename: 'CompileError',
      evalue: 'Duplicate identifier.',
      traceback: ['lib.ts 4:2 - Duplicate identifier.'],
    });
  });
});

describe('userFrames', () => {
  test("keeps frames down to the cell's top level, in the cell's own line numbers", () => {
    const frames = [
      '    at Proxy.f (In[3]:2:11)',
      '    at In[3]:6:41',
      '    at In[3]:8:3',
      '    at Script.runInThisContext (node:vm:316:38)',
      `    at Object.execute (${TSLAB}/executor.js:167:38)`,
      `    at JupyterHandlerImpl.handleExecuteImpl (${TSLAB}/jupyter.js:225:38)`,
    ];
    expect(userFrames(frames, 3, cells, TSLAB)).toEqual([
      '    at f (Cell In[3], line 2)',
      '    at Cell In[3], line 5',
    ]);
  });

  test('a line that appears twice in the cell, or an unknown cell, keeps only the cell', () => {
    const twice: Cells = new Map([['In[4]', { ts: ['g();', 'g();'], js: ['g();', 'g();', 'end'] }]]);
    expect(userFrames(['    at In[4]:1:1', '    at In[9]:3:1'], 4, twice, TSLAB)).toEqual([
      '    at Cell In[4]',
    ]);
    expect(userFrames(['    at In[9]:3:1'], 10, twice, TSLAB)).toEqual(['    at Cell In[9]']);
  });

  test('frames inside a library are kept above the cell', () => {
    const frames = [
      '    at reshape (/project/node_modules/@tensorflow/tfjs-core/dist/ops/reshape.js:60:12)',
      '    at In[3]:6:41',
      '    at node:internal/process/task_queues:95:5',
    ];
    expect(userFrames(frames, 3, cells, TSLAB)).toEqual([
      '    at reshape (/project/node_modules/@tensorflow/tfjs-core/dist/ops/reshape.js:60:12)',
      '    at Cell In[3], line 5',
    ]);
  });
});

describe('thrownError', () => {
  test("an Error: its name and message, without Node's source excerpt, then the cell's frames", () => {
    const error = errorWithStack('RangeError', 'bad 2', [
      'In[3]:2',
      '    throw new RangeError(`bad ${x}`);',
      '    ^',
      '',
      'RangeError: bad 2',
      '    at Proxy.f (In[3]:2:11)',
      '    at In[3]:6:41',
      '    at Script.runInThisContext (node:vm:316:38)',
    ]);
    expect(thrownError(error, 3, cells, TSLAB)).toEqual({
      ename: 'RangeError',
      evalue: 'bad 2',
      traceback: ['RangeError: bad 2', '    at f (Cell In[3], line 2)', '    at Cell In[3], line 5'],
    });
  });

  test('a thrown value that is not an Error is shown as Node shows it', () => {
    expect(thrownError({ code: 7 }, 3, cells, TSLAB)).toEqual({
      ename: 'Error',
      evalue: '{ code: 7 }',
      traceback: ['Uncaught { code: 7 }'],
    });
  });

  test('an interrupt, while running or while awaiting, is an Interrupted error', () => {
    const running = Object.assign(new Error('Script execution was interrupted by `SIGINT`'), {
      code: 'ERR_SCRIPT_EXECUTION_INTERRUPTED',
    });
    const awaiting = new Error('Interrupted asynchronously');
    expect(isInterrupt(running) && isInterrupt(awaiting)).toBe(true);
    expect(isInterrupt(new Error('Interrupted'))).toBe(false);
    expect(thrownError(running, 3, cells, TSLAB)).toEqual({
      ename: 'Interrupted',
      evalue: 'the cell was interrupted while it ran',
      traceback: ['Interrupted: the cell was interrupted while it ran'],
    });
    expect(thrownError(awaiting, 3, cells, TSLAB).evalue).toBe('the cell was interrupted while it awaited');
  });
});
