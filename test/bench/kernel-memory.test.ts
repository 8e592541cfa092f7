/** The memory breakdown's parsing of /proc (made-up smaps text; this process's own status). */
import { smapsByMapping } from '../../bench/kernel-memory';
import { procStatusMB } from '../../bench/kernel-lesson';

const SMAPS = `7f0000000000-7f0000100000 r-xp 00000000 08:01 123 /opt/lib/libtensorflow.so.2
Size:               1024 kB
Rss:                 800 kB
Private_Clean:       800 kB
Private_Dirty:         0 kB
7f0000100000-7f0000200000 r--p 00100000 08:01 123 /opt/lib/libtensorflow.so.2
Rss:                 200 kB
Private_Clean:       100 kB
Private_Dirty:       100 kB
7f0000300000-7f0000400000 rw-p 00000000 00:00 0
Rss:                1500 kB
Private_Dirty:      1500 kB
55d000000000-55d000100000 rw-p 00000000 00:00 0                          [heap]
Rss:                  50 kB
`;

test('smaps: resident kB summed by mapping (file basename, [anon], [heap]), largest first', () => {
  expect(smapsByMapping(SMAPS)).toEqual([
    { name: '[anon]', rss: 1500, privateKB: 1500 },
    { name: 'libtensorflow.so.2', rss: 1000, privateKB: 1000 },
    { name: '[heap]', rss: 50, privateKB: 0 },
  ]);
});

test('procStatusMB reads this process’s VmRSS, no more than its peak; NaN for no such process', () => {
  if (process.platform !== 'linux') return;
  const rss = procStatusMB(process.pid, 'VmRSS');
  expect(rss).toBeGreaterThan(1);
  expect(rss).toBeLessThanOrEqual(procStatusMB(process.pid, 'VmHWM'));
  expect(procStatusMB(-1, 'VmRSS')).toBeNaN();
});
