// Preloaded into kernels started by the runner (node --require): when the runner dies, even by SIGKILL,
// the kernel must not live on as an orphan (tslab itself never notices), nor its connection file with
// the key. A worker thread watches for the change of parent, so this works even while a cell blocks
// the main thread. Plain JavaScript because the kernel runs without tsx.
/* global process */
'use strict';
const path = require('node:path');
const { isMainThread, Worker } = require('node:worker_threads');

if (isMainThread) {
  const at = process.argv.indexOf('--config-path');
  const connectionFile = at > 0 ? path.resolve(process.argv[at + 1]) : null;
  const watchdog = new Worker(
    `const fs = require('node:fs');
    const path = require('node:path');
    const { workerData } = require('node:worker_threads');
    setInterval(() => {
      if (process.ppid === workerData.parent) return;
      // The runner keeps each connection file alone in a folder of its own.
      if (workerData.connectionFile) fs.rmSync(path.dirname(workerData.connectionFile), { recursive: true, force: true });
      process.kill(process.pid, 'SIGKILL');
    }, 500);`,
    // execArgv: [] or the worker would load this file again (workers inherit --require), and so on.
    { eval: true, execArgv: [], workerData: { parent: process.ppid, connectionFile } },
  );
  watchdog.unref();
}
