/**
 * Parity with Jupyter: the fixture notebook through `jupyter nbconvert --execute` (nbconvert 7 and
 * nbclient from the pinned venv, with our kernelspec) and through our runner must give the same cells,
 * outputs and execution counts. With the kernel preload, errors reach nbclient as Jupyter errors and no
 * request after an error is dropped, so the two agree on every cell, errors included. nbclient keeps
 * one stream output per message, with raw carriage returns (nbconvert's --to notebook coalesces them
 * when it writes; here its file is compared after that same coalescing). nbclient records each cell's
 * timing; the runner does with --record-timing, in the same keys and format.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelSpec } from '../../src/kernelspec';
import { runNotebook } from '../../src/runner';
import { readNotebook, type Cell } from '../../src/runner/notebook';
import { coalesceStreams } from '../../src/runner/outputs';
import { venvMissing, VENV_BIN } from '../support/jupyter-venv';
import { FIXTURES } from '../support/runner-helpers';

const NBCONVERT = path.join(VENV_BIN, 'jupyter-nbconvert');
const missing = venvMissing();
if (missing) console.warn(`runner parity test skipped: ${missing}`);
const parityIt = missing ? it.skip : it;
const why = missing ? ` (skipped: ${missing})` : '';

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
    const ours = await runNotebook(fixture, {
      out: path.join(tmp, 'ours'),
      allowErrors: true,
      recordTiming: true,
    });
    expect(ours.status).toBe('ok');

    const theirs = readNotebook(path.join(tmp, 'nbconvert', 'outputs.ipynb')).cells;
    const mine = readNotebook(ours.written!).cells;
    expect(mine.map((c) => [c.cell_type, c.source])).toEqual(theirs.map((c) => [c.cell_type, c.source]));
    expect(mine.some((c) => c.outputs?.some((o) => o.output_type === 'error'))).toBe(true);
    mine.forEach((cell, i) => {
      if (cell.cell_type !== 'code') return;
      expect({ cell: i, count: cell.execution_count, outputs: cell.outputs }).toEqual({
        cell: i,
        count: theirs[i].execution_count,
        outputs: coalesceStreams(theirs[i].outputs!),
      });
      // --record-timing: nbclient's four keys, its date format (ISO 8601, UTC, microseconds), in order.
      const timing = (c: Cell): [string, string][] =>
        Object.entries(c.metadata.execution as Record<string, string>).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const format = (date: string): string => date.replace(/\d/g, '0');
      expect(timing(cell).map(([key, date]) => [key, format(date)])).toEqual(
        timing(theirs[i]).map(([key, date]) => [key, format(date)]),
      );
      const at = Object.fromEntries(timing(cell).map(([key, date]) => [key, Date.parse(date)]));
      expect(at['iopub.status.busy']).toBeLessThanOrEqual(at['iopub.execute_input']);
      expect(at['iopub.execute_input']).toBeLessThanOrEqual(at['shell.execute_reply']);
      expect(at['shell.execute_reply']).toBeLessThanOrEqual(at['iopub.status.idle']);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
