// Preloaded into kernels started by the runner (node --require): the runner holds this process's stdin
// open, so end-of-file means the runner is gone (even killed by SIGKILL) and the kernel must go too.
// Plain JavaScript because the kernel runs without tsx.
/* global process */
'use strict';
process.stdin.on('end', () => process.exit(1));
process.stdin.on('error', () => process.exit(1));
process.stdin.resume();
process.stdin.unref();
