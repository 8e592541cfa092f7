/**
 * The GitHub workflow runs .ci/run's steps by name: together its jobs must run every step, each job in
 * .ci/run's order, and name none that .ci/run lacks. A step added to .ci/run fails here until a job runs it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';

const steps = execFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), ['--list'], { encoding: 'utf8' })
  .trim()
  .split('\n');
/** Each `run:` of the workflow, a folded block (`run: >-`) joined into one line. */
function runs(yaml: string): string[] {
  const lines = yaml.split('\n');
  const commands: string[] = [];
  lines.forEach((line, i) => {
    const run = /^(\s*)(?:- )?run: ?(.*)$/.exec(line);
    if (run === null) return;
    if (!/^[>|]-?$/.test(run[2])) return void commands.push(run[2]);
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= run[1].length) break;
      block.push(next.trim());
    }
    commands.push(block.join(' '));
  });
  return commands;
}
/** The steps each `.ci/run ...` command of the workflow names (up to `--`). */
const calls = runs(fs.readFileSync(path.join(PROJECT_ROOT, '.github', 'workflows', 'ci.yml'), 'utf8'))
  .map((command) => /^\.ci\/run((?: (?!-)[\w-]+)+)/.exec(command)?.[1])
  .flatMap((names) => (names === undefined ? [] : [names.trim().split(' ')]));

test('.ci/run lists its steps', () => {
  expect(steps).toEqual(expect.arrayContaining(['lint', 'test', 'notebooks', 'e2e']));
});

test('the workflow runs every step of .ci/run, and no other', () => {
  expect(calls.length).toBeGreaterThan(0);
  expect(new Set(calls.flat())).toEqual(new Set(steps));
});

test("each job runs its steps in .ci/run's order", () => {
  for (const call of calls) {
    const order = call.map((name) => steps.indexOf(name));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }
});
