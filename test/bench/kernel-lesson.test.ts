/** The kernel-experience table's arithmetic and its two lessons (made-up figures: no timing here). */
import { formatKernelLesson, pythonLesson, typescriptLesson } from '../../bench/kernel-lesson';

test('the TypeScript and the PyTorch 3.2 have the same cells by role', () => {
  const roles = (cells: { role: string }[]): string[] => cells.map((c) => c.role).sort();
  const ts = typescriptLesson();
  const py = pythonLesson();
  expect(roles(ts)).toEqual(roles(py));
  expect(ts[0].code).toMatch(/d2l\.ready\(\)/);
  expect(py[0].code).toMatch(/import torch/);
  expect(ts.find((c) => c.role === 'training')?.code).toMatch(/data_iter/);
  expect(py.find((c) => c.role === 'training')?.code).toMatch(/data_iter/);
});

test('medians over runs, ms and MB units, ratios to ipykernel and to the baseline', () => {
  const text = formatKernelLesson({
    contestants: ['d2l-ts', 'ipykernel', 'd2l-ts@main'],
    rows: {
      ready: { 'd2l-ts': [2, 1, 3], ipykernel: [1, 1, 0.5], 'd2l-ts@main': [4, 4, 4] },
      'short median': { 'd2l-ts': [0.1, 0.12], ipykernel: [0.005, 0.005], 'd2l-ts@main': [0.2, 0.2] },
      rss: { 'd2l-ts': [700], ipykernel: [280] },
    },
    cells: { 'd2l-ts': [[1], [1], [1]] },
    about: { 'd2l-ts': 'backend: tensorflow' },
    notes: ['a note'],
  });
  expect(text).toContain('median (min–max) of 3 runs');
  expect(text).toContain('| d2l-ts / ipykernel | d2l-ts@main / ipykernel | d2l-ts / d2l-ts@main |');
  expect(text).toMatch(
    /\| kernel ready [^|]* \| s \| 2\.00 \(1\.00–3\.00\) \| 1\.00 \(0\.50–1\.00\) \| 4\.00 \(4\.00–4\.00\) \| 2\.00× \| 4\.00× \| 0\.50× \|/,
  );
  // 110 ms against 5 ms: 22×; against the baseline's 200 ms: 0.55×.
  expect(text).toMatch(
    /\| ms \| 110 \(100–120\) \| 5\.00 \(5\.00–5\.00\) \| 200 \(200–200\) \| 22\.00× \| 40\.00× \| 0\.55× \|/,
  );
  expect(text).toMatch(/\| MB \| 700 \| 280 \| – \| 2\.50× \| {2}\| {2}\|/);
  expect(text).toContain('note: a note');
});

test('without ipykernel, no ratio column to it', () => {
  const text = formatKernelLesson({
    contestants: ['d2l-ts'],
    rows: { ready: { 'd2l-ts': [2] } },
    cells: {},
    about: {},
    notes: ['ipykernel + PyTorch skipped'],
  });
  expect(text).not.toContain('/ ipykernel');
  expect(text).toMatch(/\| s \| 2\.00 \|$/m);
});
