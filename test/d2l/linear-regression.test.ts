/** Timer, the helper section 3.1 saves. */
import * as d2l from 'd2l';

test('Timer records intervals in seconds; avg, sum and cumsum agree', async () => {
  const timer = new d2l.Timer(); // running from the start, like the book's
  await new Promise((r) => setTimeout(r, 20));
  const first = timer.stop();
  timer.start();
  const second = timer.stop();
  expect(first).toBeGreaterThan(0.01);
  expect(first).toBeLessThan(10);
  expect(timer.times).toEqual([first, second]);
  expect(timer.sum()).toBeCloseTo(first + second, 12);
  expect(timer.avg()).toBeCloseTo((first + second) / 2, 12);
  expect(timer.cumsum()).toEqual([first, first + second]);
});

test('Timer.avg with no time recorded is an error, not NaN', () => {
  const timer = new d2l.Timer();
  expect(() => timer.avg()).toThrow(/Timer.avg/);
});
