// @ts-check
// The tslab copy the kernel runs, and the internals of it (tslab 1.0.22's dist/*.js, not its public
// API) that the patches replace. Each patch lists the names it needs in `needs`; the preload checks
// them all before installing any, and test/kernel/canaries.test.ts fails when one has moved.
// Which copy: find-tslab.js, the project's one rule.
'use strict';
const path = require('node:path');
const { findTslab } = require('./find-tslab');

/** @typedef {import('./wire').JsonObject} JsonObject */
/** @typedef {(name: 'stdout' | 'stderr', text: string) => void} WriteStream */
/** @typedef {(data: JsonObject, update: boolean) => void} WriteDisplayData */
/**
 * tslab's JupyterHandlerImpl (dist/jupyter.js): what the patches use of it.
 * @typedef {object} Handler
 * @property {number} execCount The last execution count.
 * @property {{ add: <T>(task: () => Promise<T>) => Promise<T>, reset: (delayMs?: number) => void }} execQueue
 *   The cells waiting to run, one at a time; `reset` cancels them (TaskCanceledError).
 * @property {(request: JsonObject, writeStream: WriteStream, writeDisplayData: WriteDisplayData) => Promise<{ count: number }>} handleExecuteImpl
 *   Runs one cell; throws its `{ count }` when the cell fails.
 * @property {() => JsonObject} handleKernel The kernel_info_reply content.
 */
/**
 * tslab's ZmqMessage (dist/jupyter.js): a received message.
 * @typedef {object} TslabMessage
 * @property {import('./wire').Header} header
 * @property {JsonObject} content
 * @property {() => TslabMessage & { header: import('./wire').Header, content: JsonObject, signAndSend: (key: string, socket: Socket) => void }} createReply
 */
/** @typedef {{ readable: boolean, send: (frames: (Buffer | string)[]) => Promise<void> }} Socket */
/**
 * tslab's ZmqServer (dist/jupyter.js): what the patches use of it.
 * @typedef {object} Server
 * @property {Handler & { handleExecute: HandleExecute }} handler
 * @property {{ key: string }} connInfo The connection file.
 * @property {Socket} shell
 * @property {Socket} iopub
 */
/**
 * @callback HandleExecute
 * @param {JsonObject} request
 * @param {WriteStream} writeStream
 * @param {WriteDisplayData} writeDisplayData
 * @param {import('./execute').CellHooks} [hooks]
 * @returns {Promise<JsonObject>}
 */

const dir = findTslab();

/**
 * A module as tslab's copy resolves it (its zeromq, its TypeScript).
 * @param {string} id
 * @returns {any} whatever the module exports
 */
function requireFromTslab(id) {
  return require(require.resolve(id, { paths: [dir] }));
}

/** @type {{ [file: string]: any }} */
const loaded = {};

/**
 * A tslab internal by its dotted name, `<dist file>.<export>.<member>...`
 * (`jupyter.ZmqServer.prototype.handleExecute`), or undefined when it is not there.
 * @param {string} name
 * @returns {any}
 */
function internal(name) {
  const [file, ...members] = name.split('.');
  if (!(file in loaded)) {
    try {
      loaded[file] = require(path.join(dir, 'dist', `${file}.js`));
    } catch {
      loaded[file] = undefined;
    }
  }
  return members.reduce((value, member) => (value == null ? undefined : value[member]), loaded[file]);
}

module.exports = {
  dir,
  version: /** @type {string} */ (requireFromTslab('./package.json').version),
  require: requireFromTslab,
  internal,
};
