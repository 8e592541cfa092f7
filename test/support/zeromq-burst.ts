import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/paths';

/**
 * Fires 2000 sends at once on a bound zeromq Publisher (past its high-water mark of 1000, where a send
 * has to wait, as when the client reads slowly) in a fresh node process, preloading `preload` if
 * given, and reports 'ok' or the first error, thrown or rejected.
 */
export function concurrentSends(preload?: string): string {
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
  const args = [...(preload ? ['--require', preload] : []), '-e', burst];
  return spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout.trim();
}
