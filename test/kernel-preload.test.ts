/**
 * tslab sends on its sockets without awaiting the previous send; zeromq 6 rejects a send while another
 * is in flight, and under load that kills the kernel. The kernelspec preloads src/kernel-preload.js,
 * which queues the sends. Each case runs in a fresh node process, with and without the preload.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { KERNEL_PRELOAD } from '../src/kernelspec';

const ROOT = path.resolve(__dirname, '..');

/**
 * Fires 2000 sends at once on a bound Publisher (past its high-water mark of 1000, where a send has to
 * wait, as when the client reads slowly) and reports 'ok' or the first error, thrown or rejected.
 */
const burst = `
  const zmq = require('zeromq');
  (async () => {
    const pub = new zmq.Publisher();
    await pub.bind('tcp://127.0.0.1:*');
    const send = async (i) => pub.send(['message ' + i]);
    const sends = Array.from({ length: 2000 }, (_, i) => send(i));
    const results = await Promise.allSettled(sends);
    const failed = results.find((r) => r.status === 'rejected');
    console.log(failed ? 'error: ' + failed.reason.message : 'ok');
    pub.close();
  })();`;

function run(preload: boolean): string {
  const args = [...(preload ? ['--require', KERNEL_PRELOAD] : []), '-e', burst];
  return spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
}

test('without the preload, concurrent sends fail as tslab would see them', () => {
  expect(run(false)).toMatch(/^error: Socket is busy writing/);
});

test('with the preload, concurrent sends all go out', () => {
  expect(run(true)).toBe('ok');
});
