/**
 * The d2l-ts kernel on a tslab whose internals moved (an upgrade): the preload installs none of its
 * patches and warns, and d2l still shows its figures through tslab's public API: `plot` its PNG, the
 * Animator its last state with the PNG (by its timer, as in any tslab kernel without the cell-end hook).
 * The moved internal is simulated by a copy of tslab in the notebook's folder (where tslab itself looks
 * for a local copy first) with `handleExecuteImpl` renamed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KERNEL_PRELOAD, kernelSpec } from '../../src/kernelspec';
import { PROJECT_ROOT } from '../../src/paths';
import { KernelSession, type Exchange } from '../support/kernel-session';

const MOVED = 'handleExecuteImpl';
let dir: string;

beforeAll(() => {
  // Inside the project, so that the copy finds tslab's dependencies and the cells find d2l.
  fs.mkdirSync(path.join(PROJECT_ROOT, 'tmp'), { recursive: true });
  dir = fs.mkdtempSync(path.join(PROJECT_ROOT, 'tmp', 'degraded-'));
  const source = path.dirname(require.resolve('tslab/package.json', { paths: [PROJECT_ROOT] }));
  const copy = path.join(dir, 'node_modules', 'tslab');
  fs.cpSync(source, copy, { recursive: true, filter: (from) => path.basename(from) !== 'node_modules' });
  const jupyter = path.join(copy, 'dist', 'jupyter.js');
  const code = fs.readFileSync(jupyter, 'utf8');
  expect(code).toContain(MOVED);
  fs.writeFileSync(jupyter, code.split(MOVED).join(`${MOVED}Moved`));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the preload finds the internal missing, warns, and installs no patch', () => {
  const code = `const { missing } = require(${JSON.stringify(KERNEL_PRELOAD)});
    console.log(JSON.stringify({ missing, host: Object.getOwnPropertySymbols(globalThis).map(String) }));`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
  const { missing, host } = JSON.parse(r.stdout);
  expect(missing).toEqual([expect.stringContaining(MOVED)]);
  expect(r.stderr).toMatch(/Warning: .*handleExecuteImpl/);
  expect(host.filter((name: string) => name.includes('d2l-ts'))).toEqual([]);
});

describe('a kernel on that tslab', () => {
  let kernel: KernelSession;
  beforeAll(async () => {
    kernel = await KernelSession.start(kernelSpec().argv, dir);
    const imports = kernel.execute("import * as d2l from 'd2l';");
    expect((await imports.reply).content.status).toBe('ok');
  }, 60_000);
  afterAll(() => kernel?.close());

  const outputs = async ({ reply, iopub }: Exchange) => {
    expect((await reply).content.status).toBe('ok');
    return (await iopub).filter((m) => /display_data$/.test(m.header.msg_type));
  };
  const isPng = (data: unknown): boolean =>
    typeof data === 'string' && Buffer.from(data, 'base64').subarray(1, 4).toString() === 'PNG';

  test('plot shows its PNG', async () => {
    const shown = await outputs(kernel.execute('d2l.plot([1, 2, 3], [[1, 4, 9]]);'));
    expect(shown.some((m) => isPng((m.content.data as Record<string, unknown>)['image/png']))).toBe(true);
  });

  test('the Animator ends with its PNG, in the one output it updates', async () => {
    const shown = await outputs(
      kernel.execute(
        `const animator = new d2l.Animator({ legend: ['a'] });
        for (let i = 1; i <= 20; i++) await animator.add(i, [1 / i]);
        await new Promise((r) => setTimeout(r, 1000));`,
      ),
    );
    expect(shown.length).toBeGreaterThan(0);
    const ids = new Set(shown.map((m) => (m.content.transient as { display_id?: string }).display_id));
    expect(ids.size).toBe(1);
    const last = shown[shown.length - 1];
    expect(isPng((last.content.data as Record<string, unknown>)['image/png'])).toBe(true);
  });
});
