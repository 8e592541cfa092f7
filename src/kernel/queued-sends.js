// @ts-check
// Patch: queued ZeroMQ sends.
// tslab 1.0.22 sends without waiting for its previous send (ZmqMessage.signAndSend and
// ZmqServer.publishStatus in dist/jupyter.js call `socket.send` and drop the promise), and zeromq 6
// rejects a send while another is in flight on the socket ("Socket is busy writing"); under load that
// kills the kernel mid-cell. This wraps zeromq's public Socket#send so that a busy socket queues.
'use strict';

/**
 * Needs no tslab internal: it wraps zeromq's own send, for tslab's callers.
 * @type {string[]}
 */
const needs = [];

/** Each socket's last send, settled either way; absent while the socket has no send in flight. */
const tails = new WeakMap();

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  const zmq = tslab.require('zeromq');
  for (const Socket of [zmq.Publisher, zmq.Router, zmq.Reply, zmq.Dealer]) {
    /** @type {(message: unknown) => Promise<void>} */
    const send = Socket.prototype.send;
    Object.defineProperty(Socket.prototype, 'send', {
      configurable: true,
      writable: true,
      /** @param {unknown} message */
      value: function queuedSend(message) {
        /** @type {Promise<void> | undefined} */
        const tail = tails.get(this);
        // A free socket sends at once, as tslab expects (a status sent before a long synchronous cell
        // must leave before the cell blocks the event loop); a busy one queues behind its last send.
        const sent =
          tail === undefined ? send.call(this, message) : tail.then(() => send.call(this, message));
        const settled = sent.then(
          () => undefined,
          () => undefined,
        );
        tails.set(this, settled);
        settled.then(() => {
          if (tails.get(this) === settled) tails.delete(this);
        });
        return sent;
      },
    });
  }
}

module.exports = { needs, install };
