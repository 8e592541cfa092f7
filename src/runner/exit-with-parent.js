// Preloaded into kernels started by the runner (node --require): when the runner dies, even by SIGKILL,
// the kernel must not live on as an orphan (tslab itself never notices). A worker thread watches for the
// change of parent, so this works even while a cell blocks the main thread. Plain JavaScript because the
// kernel runs without tsx.
/* global process */
'use strict';
const { Worker } = require('node:worker_threads');

const watchdog = new Worker(
  `const parent = ${process.ppid};
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, 500);`,
  { eval: true },
);
watchdog.unref();
