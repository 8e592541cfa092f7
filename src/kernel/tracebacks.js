// @ts-check
// What a failed cell reports, as ipykernel reports it: ename, evalue and a traceback from the user's
// cell, without the frames of Node's vm or tslab. Pure functions of what the executor reported (text
// and values), so that test/kernel/tracebacks.test.ts checks them on plain strings.
'use strict';
const util = require('node:util');

/** @typedef {{ ename: string, evalue: string, traceback: string[] }} JupyterError */
/**
 * One TypeScript diagnostic as tslab's executor prints it: file ('' for the cell), line, column, message.
 * @typedef {[file: string, line: number, column: number, message: string]} Diagnostic
 */
/**
 * The code of the cells run so far, by their script's file name (`In[3]`): the compiled JavaScript and
 * the TypeScript as written, one string a line.
 * @typedef {Map<string, { js: string[], ts: string[] }>} Cells
 */

/**
 * A compile error: each diagnostic with the line it points at, and a caret under its column.
 * @param {readonly Diagnostic[]} diagnostics at least one
 * @param {string} source the cell as written
 * @returns {JupyterError}
 */
function compileError(diagnostics, source) {
  const lines = source.split('\n');
  const traceback = diagnostics.flatMap(([file, line, column, message]) => {
    const text = String(message);
    if (file) return [`${file} ${line}:${column} - ${text}`];
    const code = lines[line - 1] ?? '';
    return [`${line}:${column} - ${text}`, `    ${code}`, `    ${' '.repeat(Math.max(0, column - 1))}^`];
  });
  const more = diagnostics.length - 1;
  const first = String(diagnostics[0][3]);
  return { ename: 'CompileError', evalue: more > 0 ? `${first} (and ${more} more)` : first, traceback };
}

/**
 * The interrupt errors of tslab's executor (an awaited cell) and of Node's vm (a running script).
 * @param {unknown} value
 */
function isInterrupt(value) {
  if (!(value instanceof Error)) return false;
  const { code } = /** @type {Error & { code?: unknown }} */ (value);
  return code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED' || value.message === 'Interrupted asynchronously';
}

/**
 * What a cell threw (or the promise it awaited rejected with).
 * @param {unknown} value
 * @param {number | undefined} count the cell's execution count
 * @param {Cells} cells
 * @param {string} hidden frames from files under this folder (tslab's dist) are dropped
 * @returns {JupyterError}
 */
function thrownError(value, count, cells, hidden) {
  if (isInterrupt(value)) {
    const what = /** @type {{ code?: unknown }} */ (value).code ? 'while it ran' : 'while it awaited';
    const evalue = `the cell was interrupted ${what}`;
    return { ename: 'Interrupted', evalue, traceback: [`Interrupted: ${evalue}`] };
  }
  if (!(value instanceof Error)) {
    const evalue = util.inspect(value);
    return { ename: 'Error', evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const ename = value.name || value.constructor?.name || 'Error';
  const evalue = String(value.message);
  const stack = typeof value.stack === 'string' ? value.stack.split('\n') : [`${ename}: ${evalue}`];
  const at = stack.findIndex((line) => /^\s+at /.test(line));
  let head = at < 0 ? stack : stack.slice(0, at);
  // Node puts the throwing line first (`In[1]:29` or a file's, the code, a caret, a blank line).
  const blank = head.indexOf('');
  if (/^\S+:\d+$/.test(head[0] ?? '') && blank > 0) head = head.slice(blank + 1);
  const frames = at < 0 ? [] : stack.slice(at);
  return { ename, evalue, traceback: [...head, ...userFrames(frames, count, cells, hidden)] };
}

/**
 * The frames from the innermost call down to the cell's own top level, without what runs the cell
 * (node:vm, tslab); a cell's `In[n]:line:column` (lines of the compiled JavaScript) becomes
 * `Cell In[n], line k` when that JavaScript line appears once in the cell as written.
 * @param {readonly string[]} frames stack lines, `    at ...`
 * @param {number | undefined} count the failing cell's execution count
 * @param {Cells} cells
 * @param {string} hidden frames from files under this folder are dropped
 * @returns {string[]}
 */
function userFrames(frames, count, cells, hidden) {
  const own = `(In[${count}]:`;
  let last = -1;
  frames.forEach((line, i) => {
    if (line.includes(own) || line.includes(` In[${count}]:`)) last = i;
  });
  /** The last line of a cell's script is tslab's call of the function that wraps the cell. */
  const isWrapper = (/** @type {string} */ line) => {
    const frame = /(In\[\d+\]):(\d+):\d+/.exec(line);
    return frame !== null && Number(frame[2]) === cells.get(frame[1])?.js.length;
  };
  const kept = (last < 0 ? frames : frames.slice(0, last + 1)).filter(
    (line) => !/\(node:|at node:/.test(line) && !line.includes(hidden) && !isWrapper(line),
  );
  // tslab stores a cell's last expression in `exports.tsLastExpr` and reaches earlier cells'
  // declarations as `(0, exports.f)` on a Proxy; statements otherwise read the same.
  const normal = (/** @type {string} */ code) =>
    code
      .trim()
      .replace(/^exports\.\w+ = /, '')
      .replace(/\(0, exports\.([\w$]+)\)/g, '$1')
      .replace(/\bexports\.([\w$]+)/g, '$1')
      .replace(/;$/, '');
  return kept.map((line) =>
    line.replace(/^(\s+at )Proxy\./, '$1').replace(/(In\[\d+\]):(\d+):\d+/, (_whole, file, jsLine) => {
      const cell = cells.get(file);
      const code = normal(cell?.js[Number(jsLine) - 1] ?? '');
      const matches = cell && code ? cell.ts.flatMap((ts, i) => (normal(ts) === code ? [i + 1] : [])) : [];
      return matches.length === 1 ? `Cell ${file}, line ${matches[0]}` : `Cell ${file}`;
    }),
  );
}

module.exports = { compileError, thrownError, userFrames, isInterrupt };
