// @ts-check
// Preloaded into the tslab kernels the runner starts (node --require), next to exit-with-parent.js.
// A ZeroMQ publisher drops messages once 1000 wait to be sent (its high-water mark): a cell printing
// 500,000 lines in a loop lost most of them, with nothing to tell. Unlimited, the kernel keeps every
// output until the runner (which reads them at once, see kernel.ts) has it. The high-water mark must be
// set before bind, which tslab calls on its iopub socket: this wraps Publisher.bind, a public method.
// If zeromq cannot be found this does nothing, and the runner still reports a missing idle status.
'use strict';
const { findTslab } = require('./find-tslab');

try {
  // The zeromq of the tslab that runs (find-tslab.js's rule).
  /** @type {{ Publisher: { prototype: { bind: (address: string) => Promise<void>, sendHighWaterMark: number } } }} */
  const zmq = require(require.resolve('zeromq', { paths: [findTslab()] }));
  const bind = zmq.Publisher.prototype.bind;
  Object.defineProperty(zmq.Publisher.prototype, 'bind', {
    configurable: true,
    writable: true,
    /**
     * @this {{ sendHighWaterMark: number }}
     * @param {string} address
     */
    value: function bindWithoutDrops(address) {
      this.sendHighWaterMark = 0;
      return bind.call(this, address);
    },
  });
} catch {
  // not tslab, or another zeromq: leave the kernel as it is
}
