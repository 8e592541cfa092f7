// Preloaded into the tslab kernel by the d2l-ts kernelspec (node --require), for Jupyter and the runner
// alike. tslab sends on its ZeroMQ sockets without waiting for the previous send, and zeromq 6 rejects
// a send while another is still in flight ("Socket is busy writing", EBUSY). Under load that rejection
// goes unhandled and kills the kernel mid-cell. Queueing each socket's sends, in order, removes the race
// without touching tslab. Plain JavaScript because the kernel runs without tsx.
/* global process */
'use strict';
const path = require('node:path');

// The zeromq copy tslab itself loads, resolved from tslab's own folder.
const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [process.cwd(), __dirname] }));
const zmq = require(require.resolve('zeromq', { paths: [tslabDir] }));

/** Each socket's last send, settled either way; absent while the socket has no send in flight. */
const tails = new WeakMap();

for (const Socket of [zmq.Publisher, zmq.Router, zmq.Reply, zmq.Dealer]) {
  const send = Socket.prototype.send;
  Object.defineProperty(Socket.prototype, 'send', {
    configurable: true,
    writable: true,
    value: function queuedSend(message) {
      const tail = tails.get(this);
      // A free socket sends at once, as tslab expects (a status sent before a long synchronous cell must
      // leave before the cell blocks the event loop); a busy one queues behind its last send, in order.
      const sent = tail === undefined ? send.call(this, message) : tail.then(() => send.call(this, message));
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
