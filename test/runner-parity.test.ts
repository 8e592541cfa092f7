/**
 * Parity with Jupyter: the fixture notebook through `jupyter nbconvert --execute` (with our kernelspec)
 * and through our runner must give the same cells, output types and texts. Differences by design:
 * - tslab sends no error message, so nbconvert stores the error as stderr text; we store an `error`
 *   output whose traceback is that text (compared as such).
 * - nbclient sends the next cell within tslab's ~200 ms abort window after an error, so nbconvert
 *   silently skips the cells after a failure; we wait and run them. Only cells up to the first
 *   failure are compared.
 * - nbconvert leaves execution counts null (tslab sends no execute_input); we set them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelSpec } from '../src/kernelspec';
import { readNotebook, runNotebook, type Output } from '../src/runner';
import { coalesceStreams } from '../src/runner/outputs';
import { FIXTURES } from './runner-helpers';

const NBCONVERT = '/usr/bin/jupyter-nbconvert';
const available = fs.existsSync(NBCONVERT);
if (!available)
  console.warn(`runner parity test skipped: ${NBCONVERT} is not installed (.ci/run installs it)`);
const parityIt = available ? it : it.skip;
const why = available ? '' : ` (skipped: ${NBCONVERT} is not installed; .ci/run installs it)`;

/** Our error outputs as the stderr text tslab printed for them, streams merged again. */
function asJupyterSees(outputs: readonly Output[]): Output[] {
  return coalesceStreams(
    outputs.map((o) =>
      o.output_type === 'error'
        ? { output_type: 'stream', name: 'stderr', text: o.traceback.join('\n') + '\n' }
        : o,
    ),
  );
}

jest.setTimeout(120_000);

parityIt(`matches jupyter nbconvert --execute on the fixture notebook${why}`, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-parity-'));
  try {
    const env = { ...process.env, JUPYTER_DATA_DIR: path.join(tmp, 'jupyter') };
    installKernelSpec({ user: true }, { env, platform: process.platform, home: os.homedir() });
    const fixture = path.join(FIXTURES, 'outputs.ipynb');
    const converted = spawnSync(
      NBCONVERT,
      [
        '--to',
        'notebook',
        '--execute',
        '--allow-errors',
        '--output-dir',
        path.join(tmp, 'nbconvert'),
        fixture,
      ],
      { env, encoding: 'utf8' },
    );
    expect(converted.status).toBe(0);
    const ours = await runNotebook(fixture, { out: path.join(tmp, 'ours'), allowErrors: true });
    expect(ours.status).toBe('ok');

    const theirs = readNotebook(path.join(tmp, 'nbconvert', 'outputs.ipynb')).cells;
    const mine = readNotebook(ours.written!).cells;
    expect(mine.map((c) => [c.cell_type, c.source])).toEqual(theirs.map((c) => [c.cell_type, c.source]));
    const firstFailure = mine.findIndex((c) => c.outputs?.some((o) => o.output_type === 'error'));
    expect(firstFailure).toBeGreaterThan(3);
    for (let i = 0; i <= firstFailure; i++) {
      if (mine[i].cell_type !== 'code') continue;
      expect({ cell: i, outputs: asJupyterSees(mine[i].outputs!) }).toEqual({
        cell: i,
        outputs: theirs[i].outputs,
      });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
