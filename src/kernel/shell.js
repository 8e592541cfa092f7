// @ts-check
// Patch: requests answered before tslab sees them (by execute.js, kernel-info.js, comm-info.js).
// Replaces tslab 1.0.22's ZmqServer.handleShellMessage (dist/jupyter.js) for the shell socket: each
// request goes first through the interceptors, in the order they were added; the first answer is sent
// between `busy` and `idle` statuses, as tslab does; without one, tslab handles the request. The
// control socket is left to tslab.
'use strict';
const { decode, encode, replyTo, routingIds } = require('./wire');

const needs = ['jupyter.ZmqServer.prototype.handleShellMessage'];

/** @typedef {{ msgType: string, content: import('./wire').JsonObject }} Answer */
/** @typedef {(request: import('./wire').Message, socket: import('./tslab').Socket) => Answer | undefined} Interceptor */

/** @type {Interceptor[]} */
const interceptors = [];

/**
 * Adds `interceptor`: it sees every shell request; an answer it returns replaces tslab's handling.
 * @param {Interceptor} interceptor
 */
function intercept(interceptor) {
  interceptors.push(interceptor);
}

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  /** @type {import('./tslab').Server & { handleShellMessage: (socket: import('./tslab').Socket, ...frames: Buffer[]) => Promise<void> }} */
  const Server = tslab.internal('jupyter.ZmqServer.prototype');
  const handleShellMessage = Server.handleShellMessage;
  Server.handleShellMessage = async function (socket, ...frames) {
    if (socket !== this.shell) return handleShellMessage.call(this, socket, ...frames);
    const key = this.connInfo.key;
    let request;
    try {
      request = decode(frames, key);
    } catch {
      return handleShellMessage.call(this, socket, ...frames); // tslab logs what it cannot read
    }
    for (const interceptor of interceptors) {
      const answer = interceptor(request, socket);
      if (answer === undefined) continue;
      const parent = request.header;
      this.iopub.send(encode(replyTo(parent, 'status', { execution_state: 'busy' }), key));
      socket.send(encode(replyTo(parent, answer.msgType, answer.content), key, routingIds(frames)));
      this.iopub.send(encode(replyTo(parent, 'status', { execution_state: 'idle' }), key));
      return;
    }
    return handleShellMessage.call(this, socket, ...frames);
  };
}

module.exports = { needs, install, intercept };
