/**
 * The internals of other packages this project leans on, in one place: after an upgrade of tslab,
 * zeromq or vega, this file says at once what moved. Each test names the code that depends on it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import * as d2l from 'd2l';
import { renderSvg } from 'd2l/dist/plot';
import { KERNEL_PRELOAD } from '../../src/kernelspec';
import { PROJECT_ROOT } from '../../src/paths';
import { concurrentSends } from '../support/zeromq-burst';

describe('tslab', () => {
  test("every internal the kernel's patches replace (src/kernel/*.js) is in the lock file's tslab", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8'));
    const installed = JSON.parse(
      fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules', 'tslab', 'package.json'), 'utf8'),
    );
    expect(installed.version).toBe(lock.packages['node_modules/tslab'].version);
    const out = spawnSync(
      process.execPath,
      ['-e', `console.log(JSON.stringify(require(${JSON.stringify(KERNEL_PRELOAD)}).missing))`],
      { cwd: PROJECT_ROOT, encoding: 'utf8' },
    );
    // A tslab upgrade that moves these makes the kernel fall back to tslab's own behaviour: fail here.
    expect(JSON.parse(out.stdout)).toEqual([]);
  });

  test('its jupyter module sets lastWriteDisplayData for the running cell (d2l/src/plot-output.ts sends plots by it)', () => {
    const source = fs.readFileSync(require.resolve('tslab/dist/jupyter'), 'utf8');
    expect(source).toMatch(/exports\.lastWriteDisplayData = writeDisplayData/);
  });
});

test('zeromq rejects a send while another is in flight (src/kernel/queued-sends.js queues them)', () => {
  expect(concurrentSends()).toMatch(/^error: Socket is busy writing/);
});

test("vega's headless SVG renderer draws what View#toSVG draws (d2l's renderSvg uses it synchronously)", async () => {
  const fig = d2l.figure(
    [1, 2, 3],
    [
      [1, 4, 9],
      [3, 2, 1],
    ],
    { legend: ['a', 'b'], fmts: ['-', 'ro'] },
  );
  const view = new vega.View(vega.parse(compile(structuredClone(fig.spec)).spec), { renderer: 'none' });
  expect(renderSvg(fig.spec, fig.width, fig.height)).toBe(await view.toSVG());
  view.finalize();
});
