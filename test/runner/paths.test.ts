/** paths.ts: which notebooks a run takes (search, shards) and where their copies go. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkTargets,
  commonFolder,
  findNotebooks,
  recordedSeconds,
  shard,
  targetOf,
} from '../../src/runner/paths';
import { readNotebook, serializeNotebook } from '../../src/runner/notebook';
import { writeNotebook } from '../support/runner-helpers';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-paths-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('findNotebooks', () => {
  it('searches folders recursively, sorted, skipping node_modules, checkpoints and hidden folders', () => {
    for (const sub of ['b', 'a/deeper', 'node_modules/pkg', '.ipynb_checkpoints', '.hidden']) {
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
    }
    for (const file of [
      'z.ipynb',
      'b/one.ipynb',
      'a/deeper/two.ipynb',
      'a/notes.txt',
      'node_modules/pkg/x.ipynb',
      '.ipynb_checkpoints/z-checkpoint.ipynb',
      '.hidden/y.ipynb',
    ]) {
      fs.writeFileSync(path.join(dir, file), '{}');
    }
    fs.symlinkSync(path.join(dir, 'z.ipynb'), path.join(dir, 'same.ipynb'));
    expect(findNotebooks([dir]).map((f) => path.relative(dir, f))).toEqual([
      'a/deeper/two.ipynb',
      'b/one.ipynb',
      'same.ipynb',
    ]);
    expect(findNotebooks([path.join(dir, 'z.ipynb'), dir]).map((f) => path.relative(dir, f))).toEqual([
      'z.ipynb',
      'a/deeper/two.ipynb',
      'b/one.ipynb',
    ]);
  });
});

describe('checkTargets and targetOf', () => {
  it('mirrors the folders below the common one, so notebooks of one name do not collide', () => {
    expect(commonFolder(['n/a/x.ipynb', 'n/b/x.ipynb', 'n/y.ipynb'])).toBe(path.resolve('n'));
    expect(targetOf('n/zh/x.ipynb', 'out', 'n')).toBe(path.join('out', 'zh', 'x.ipynb'));
    expect(targetOf('n/x.ipynb', 'out')).toBe(path.join('out', 'x.ipynb'));
    expect(() =>
      checkTargets(['a/x.ipynb', 'b/x.ipynb'], 'out', commonFolder(['a/x.ipynb', 'b/x.ipynb'])),
    ).not.toThrow();
  });

  it('refuses two names for one target, naming both', () => {
    expect(() => checkTargets(['a/x.ipynb', 'a/../a/x.ipynb'], 'out', '.')).toThrow(
      /a\/x\.ipynb and a\/\.\.\/a\/x\.ipynb/,
    );
    expect(() => checkTargets(['a/x.ipynb', 'b/x.ipynb'], 'out', 'nowhere')).not.toThrow();
  });
});

/** A notebook whose cells took `seconds` each when last run with --record-timing (none: no timing). */
function timedNotebook(name: string, seconds: number[] | null): string {
  const file = writeNotebook(dir, name, seconds ? seconds.map(String) : ['1']);
  if (seconds) {
    const nb = readNotebook(file);
    nb.cells.forEach((cell, i) => {
      const busy = Date.UTC(2026, 0, 1);
      cell.metadata = {
        execution: {
          'iopub.status.busy': new Date(busy).toISOString(),
          'iopub.status.idle': new Date(busy + seconds[i] * 1000).toISOString(),
        },
      };
    });
    fs.writeFileSync(file, serializeNotebook(nb));
  }
  return file;
}

describe('shard', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'puts every notebook in exactly one of %i shards, the same each time',
    (n) => {
      const notebooks = Array.from({ length: 11 }, (_, i) =>
        timedNotebook(`n${i}.ipynb`, i % 3 ? [i, 1] : null),
      );
      const shards = Array.from({ length: n }, (_, i) => shard(notebooks, i + 1, n));
      expect(shards.flat().sort()).toEqual([...notebooks].sort());
      expect(Array.from({ length: n }, (_, i) => shard(notebooks, i + 1, n))).toEqual(shards);
      for (const s of shards) expect(s).toEqual(notebooks.filter((nb) => s.includes(nb))); // order kept
    },
  );

  it('balances by recorded run time: the long notebook alone, the short ones together', () => {
    const long = timedNotebook('a-long.ipynb', [30, 30]);
    const short = ['b', 'c', 'd'].map((name) => timedNotebook(`${name}.ipynb`, [5, 5]));
    expect(recordedSeconds(long)).toBe(60);
    expect(shard([long, ...short], 1, 2)).toEqual([long]);
    expect(shard([long, ...short], 2, 2)).toEqual(short);
  });

  it('deals notebooks without recorded times out by name, in turn', () => {
    const notebooks = ['c', 'a', 'd', 'b'].map((name) => timedNotebook(`${name}.ipynb`, null));
    expect(recordedSeconds(notebooks[0])).toBeNull();
    fs.writeFileSync(path.join(dir, 'broken.ipynb'), '{');
    expect(recordedSeconds(path.join(dir, 'broken.ipynb'))).toBeNull(); // its run reports it
    const names = (i: number): string[] => shard(notebooks, i, 2).map((f) => path.basename(f));
    expect([names(1), names(2)]).toEqual([
      ['c.ipynb', 'a.ipynb'],
      ['d.ipynb', 'b.ipynb'],
    ]);
  });

  it('refuses a shard outside 1..N', () => {
    expect(() => shard([], 0, 2)).toThrow(/shard/);
    expect(() => shard([], 3, 2)).toThrow(/shard/);
  });
});
