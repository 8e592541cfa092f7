// @ts-check
// Preloaded into kernels started by the runner (node --require): when the runner dies, even by SIGKILL,
// the kernel must not live on as an orphan (tslab itself never notices), nor its connection file with
// the key, nor the runner's temporary and lock files. A worker thread watches for the change of parent,
// so this works even while a cell blocks the main thread. Plain JavaScript because the kernel runs without tsx.
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
      // The runner keeps each connection file alone in a folder of its own, with the list of what to
      // remove if it dies first: its temporary files, and its locks (those that still name it).
      if (workerData.connectionFile) {
        const dir = path.dirname(workerData.connectionFile);
        try {
          const { files = [], locks = [] } = JSON.parse(fs.readFileSync(path.join(dir, 'cleanup.json'), 'utf8'));
          for (const file of files) fs.rmSync(file, { force: true });
          for (const lock of locks) {
            try {
              if (JSON.parse(fs.readFileSync(lock, 'utf8')).pid === workerData.parent) fs.rmSync(lock, { force: true });
            } catch {}
          }
        } catch {}
        fs.rmSync(dir, { recursive: true, force: true });
      }
      process.kill(process.pid, 'SIGKILL');
    }, 200);`,
    // execArgv: [] or the worker would load this file again (workers inherit --require), and so on.
    { eval: true, execArgv: [], workerData: { parent: process.ppid, connectionFile } },
  );
  watchdog.unref();
}
