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

/** Each socket's last queued send (sockets are not extensible, hence a WeakMap). */
const queues = new WeakMap();

for (const Socket of [zmq.Publisher, zmq.Router, zmq.Reply, zmq.Dealer]) {
  const send = Socket.prototype.send;
  Object.defineProperty(Socket.prototype, 'send', {
    configurable: true,
    writable: true,
    value: function queuedSend(message) {
      const previous = queues.get(this) ?? Promise.resolve();
      const sent = previous.then(() => send.call(this, message));
      // The next send waits for this one whatever its outcome; the caller still sees its own failure.
      queues.set(
        this,
        sent.catch(() => undefined),
      );
      return sent;
    },
  });
}
