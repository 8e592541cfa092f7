/** The bench's arithmetic (no timing here: the figures are made up, the aggregation is what is tested). */
import type { ChildReport } from '../../bench/child';
import { formatTable, median, summarise } from '../../bench/report';

function report(backend: string, warm: number[], tensors: [number, number]): ChildReport {
  return {
    backend,
    group: 'small',
    first_op: 0.5,
    samples: { scratch_warm: warm },
    tensors: { scratch: tensors },
    errors: { scratch: 1e-4 },
    peak_rss_mb: 200,
  };
}

test('median of odd and even counts', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test('summarise takes each process’s median, then median and range over processes', () => {
  const s = summarise(
    ['wasm', 'pytorch'],
    [
      report('wasm', [3e-4, 1e-4, 2e-4], [5, 5]),
      report('wasm', [4e-4, 4e-4], [5, 7]),
      report('wasm', [1e-4], [5, 5]),
      report('pytorch', [1e-4, 1e-4], [0, 0]),
    ],
    {},
  );
  expect(s.stats.scratch_warm.wasm).toEqual({ median: 2e-4, min: 1e-4, max: 4e-4, n: 3 });
  expect(s.leaks.wasm.scratch).toBe(2);
  const table = formatTable(s, ['a note']);
  expect(table).toContain('| scratch step, warm | µs | 200 (100–400) | 100 | 2.00× |');
  expect(table).toContain('tensor count growth per case run: wasm scratch +2');
  expect(table).toContain('note: a note');
});
