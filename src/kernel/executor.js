// @ts-check
// Patch: what a cell produced, kept for its replies: its compile diagnostics, the value it threw, the
// value of its last expression.
// Replaces tslab 1.0.22's executor.createExecutor (dist/executor.js) with one that hands tslab's
// executor its own `console`: tslab reports a failing cell by `console.error` (one call per TypeScript
// diagnostic, or the thrown value alone), which reaches only stderr, and prints the value of a cell's
// last expression by `console.log`, a stdout stream rather than an `execute_result`. Here both go to
// the running cell, and execute.js sends them as Jupyter's `error` and `execute_result`.
// It also names each cell's script `In[n]` (tslab runs it by Node's vm.runInThisContext without a file
// name) so that stack frames say which cell they are in.
'use strict';
const util = require('node:util');
const vm = require('node:vm');

const needs = ['executor.createExecutor'];

/**
 * The cell now running.
 * @typedef {object} Cell
 * @property {number} count its execution count
 * @property {string} source the cell as written
 * @property {import('./tracebacks').Diagnostic[]} diagnostics
 * @property {unknown[]} thrown what it threw or rejected with, as tslab reported it
 * @property {string | undefined} result its last expression's value, as text (`util.inspect`)
 */

/** @type {Cell | null} */
let running = null;

/** The code of every cell run so far, by the file name its script was given: for tracebacks. */
/** @type {import('./tracebacks').Cells} */
const cells = new Map();

/**
 * Marks the start of a cell: what tslab's executor reports from now on belongs to it.
 * @param {number} count
 * @param {string} source
 * @returns {Cell}
 */
function begin(count, source) {
  running = { count, source, diagnostics: [], thrown: [], result: undefined };
  return running;
}

/** @param {Cell | null} cell */
function end(cell) {
  if (running === cell) running = null;
}

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  // Deep enough to reach the cell from inside TensorFlow.js (Node's default keeps 10 frames).
  if (Error.stackTraceLimit === 10) Error.stackTraceLimit = 50;

  // Each cell's script gets its own file name, `In[3]`, so its stack frames say which cell they are in.
  const runInThisContext = vm.runInThisContext;
  /** @type {typeof vm.runInThisContext} */
  const named = function (code, options) {
    const isCell =
      running !== null &&
      typeof code === 'string' &&
      /^\((async )?function\(exports, require\) \{ /.test(code);
    if (running === null || !isCell || typeof options !== 'object' || options.filename) {
      return runInThisContext(code, options);
    }
    const filename = `In[${running.count}]`;
    cells.set(filename, { js: code.split('\n'), ts: running.source.split('\n') });
    // Frames from cells older than this lose their line numbers, not their cell.
    if (cells.size > 1000) cells.delete(/** @type {string} */ (cells.keys().next().value));
    return runInThisContext(code, { ...options, filename });
  };
  vm.runInThisContext = named;

  const executorModule = tslab.internal('executor');
  /** @type {(rootDir: string, convs: unknown, logger: Console) => { execute: (source: string) => Promise<boolean> }} */
  const createExecutor = executorModule.createExecutor;
  /** @type {typeof createExecutor} */
  executorModule.createExecutor = function (rootDir, convs, logger) {
    /** @param {unknown[]} args */
    const error = (...args) => {
      if (running === null) return logger.error(...args);
      if (args[0] === '%s%d:%d - %s' && args.length === 5) {
        running.diagnostics.push(/** @type {import('./tracebacks').Diagnostic} */ (args.slice(1)));
      } else if (args.length === 1) running.thrown.push(args[0]);
      else logger.error(...args);
    };
    // tslab calls `log` for nothing but the last expression's value, when it is neither undefined nor null.
    /** @param {unknown[]} args */
    const log = (...args) => {
      if (running === null || args.length !== 1) return logger.log(...args);
      running.result = util.inspect(args[0]);
    };
    const executor = createExecutor(rootDir, convs, /** @type {Console} */ ({ log, error }));
    const execute = executor.execute;
    executor.execute = async (source) => {
      const cell = running;
      const ok = await execute(source);
      // Diagnostics of an `//@module` cell do not fail it: tslab prints them, and so do we.
      if (ok && cell) for (const diagnostic of cell.diagnostics) logger.error('%s%d:%d - %s', ...diagnostic);
      return ok;
    };
    return executor;
  };
}

module.exports = { needs, install, begin, end, cells };
