// @ts-check
// Patch: the execute queue, and what a cell's execution sends, as ipykernel sends it.
// Replaces tslab 1.0.22's (dist/jupyter.js)
// - JupyterHandlerImpl.handleExecute: the same queue (execQueue), but after a failure only the requests
//   already in it are aborted, and it takes requests again at once. tslab waits 200 ms
//   (`execQueue.reset(200)`, for yunabe/tslab#19) and aborts whatever arrives meanwhile, so a request
//   sent just after an error is dropped. Its replies say `abort` where Jupyter says `aborted`, and an
//   error reply has no ename, evalue or traceback.
// - ZmqServer.handleExecute: also sends `execute_input` (tslab never does, so nbconvert leaves execution
//   counts empty), the cell's last expression as `execute_result` (tslab prints it on stdout) and its
//   error as an `error` message (tslab prints it on stderr).
// It tells host.js when a cell starts (with the sender of its outputs) and when it ends.
// And, through shell.js, aborts the execute requests that were waiting unread on the shell socket when a
// cell failed (ipykernel aborts what is waiting when a cell fails; tslab's queue never saw them).
'use strict';
const path = require('node:path');
const executor = require('./executor');
const shell = require('./shell');
const { compileError, thrownError } = require('./tracebacks');
const host = require('./host');

const needs = [
  'jupyter.JupyterHandlerImpl.prototype.handleExecute',
  'jupyter.JupyterHandlerImpl.prototype.handleExecuteImpl',
  'util.TaskCanceledError',
  'jupyter.ZmqServer.prototype.handleExecute',
];

/**
 * What the server side learns of a cell as it runs.
 * @typedef {object} CellHooks
 * @property {(count: number) => void} onStart
 * @property {(count: number, text: string) => void} onResult
 */

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  const TaskCanceledError = tslab.internal('util.TaskCanceledError');
  const hidden = path.join(tslab.dir, 'dist');
  /** @type {import('./tslab').Handler & { handleExecute: import('./tslab').HandleExecute }} */
  const Handler = tslab.internal('jupyter.JupyterHandlerImpl.prototype');
  /** @type {import('./tslab').Server & { handleExecute: (socket: import('./tslab').Socket, message: import('./tslab').TslabMessage) => Promise<void> }} */
  const Server = tslab.internal('jupyter.ZmqServer.prototype');

  /**
   * Whether requests that reached the shell socket before the last failure are still unread. They are
   * aborted as they are read, until the socket has no more waiting: the next request runs.
   */
  let backlog = false;

  Handler.handleExecute = async function (request, writeStream, writeDisplayData, hooks) {
    const source = String(request.code ?? '');
    /** @type {import('./executor').Cell | null} */
    let cell = null;
    try {
      const count = await this.execQueue.add(() => {
        cell = executor.begin(this.execCount + 1, source);
        hooks?.onStart(cell.count);
        host.cellStarted(writeDisplayData);
        return this.handleExecuteImpl(request, writeStream, writeDisplayData).finally(host.cellEnded);
      });
      const done = /** @type {import('./executor').Cell | null} */ (cell);
      if (done?.result !== undefined) hooks?.onResult(count.count, done.result);
      return { status: 'ok', execution_count: count.count, user_expressions: {}, payload: [] };
    } catch (e) {
      if (e instanceof TaskCanceledError) return { status: 'aborted' };
      const failed = /** @type {import('./executor').Cell | null} */ (cell);
      // handleExecuteImpl throws the execution count itself when the executor reports a failure.
      const counted = e !== null && typeof e === 'object' && 'count' in e && !(e instanceof Error);
      const error =
        counted && failed ? reported(failed) : thrownError(e, failed?.count, executor.cells, hidden);
      this.execQueue.reset();
      return {
        status: 'error',
        execution_count: counted ? /** @type {{ count: number }} */ (e).count : null,
        ...error,
      };
    } finally {
      executor.end(cell);
    }
  };

  /**
   * What a failed cell reported through tslab's executor: its compile errors, else what it threw.
   * @param {import('./executor').Cell} cell
   */
  const reported = (cell) => {
    if (cell.diagnostics.length > 0) return compileError(cell.diagnostics, cell.source);
    if (cell.thrown.length === 0) {
      return { ename: 'Error', evalue: 'the cell failed without an error value', traceback: [] };
    }
    return thrownError(cell.thrown[cell.thrown.length - 1], cell.count, executor.cells, hidden);
  };

  Server.handleExecute = async function (socket, message) {
    /** @type {(target: import('./tslab').Socket, msgType: string, content: import('./wire').JsonObject) => void} */
    const send = (target, msgType, content) => {
      const reply = message.createReply();
      reply.header.msg_type = msgType;
      reply.content = content;
      reply.signAndSend(this.connInfo.key, target);
    };
    const code = message.content.code;
    const content = await this.handler.handleExecute(
      message.content,
      (name, text) => send(this.iopub, 'stream', { name, text }),
      (data, update) => send(this.iopub, update ? 'update_display_data' : 'display_data', data),
      {
        onStart: (count) => send(this.iopub, 'execute_input', { code, execution_count: count }),
        onResult: (count, text) =>
          send(this.iopub, 'execute_result', {
            data: { 'text/plain': text },
            metadata: {},
            execution_count: count,
          }),
      },
    );
    if (content.status === 'error') {
      const { ename, evalue, traceback } = content;
      send(this.iopub, 'error', { ename, evalue, traceback });
      // Asking the socket (ZMQ_EVENTS) is enough: the reply sent next wakes the reader for the backlog.
      backlog = this.shell.readable;
    }
    send(socket, 'execute_reply', content);
  };

  shell.intercept((request, socket) => {
    const waitedThroughFailure = backlog;
    if (backlog) backlog = socket.readable;
    if (waitedThroughFailure && request.header.msg_type === 'execute_request') {
      return { msgType: 'execute_reply', content: { status: 'aborted' } };
    }
    return undefined;
  });
}

module.exports = { needs, install };
