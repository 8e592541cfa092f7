/** The runner-vs-nbconvert table's arithmetic (made-up figures: the formatting is what is tested). */
import { formatComparison } from '../../bench/notebooks';

test('cores used is CPU over wall, and the floor is the runner’s CPU over the cores, against nbconvert', () => {
  const text = formatComparison(
    {
      seconds: { runner: [15, 14, 16], nbconvert: [20, 21, 19] },
      cpuSeconds: { runner: [28, 26, 30], nbconvert: [27, 27, 27] },
      nbconvert: 'nbconvert 7',
      changed: [],
    },
    3,
    2,
  );
  expect(text).toMatch(/\| runner \| 15\.0 \(14\.0–16\.0\) \| 0\.75× \| 28\.0 \(26\.0–30\.0\) \| 1\.87 \|/);
  expect(text).toMatch(
    /\| nbconvert \| 20\.0 \(19\.0–21\.0\) \| 1\.00× \| 27\.0 \(27\.0–27\.0\) \| 1\.35 \|/,
  );
  // 28 CPU seconds over 2 cores: 14 s at best, 0.70 of nbconvert's 20 s.
  expect(text).toMatch(/14\.0 s, 0\.70× nbconvert/);
});
