/**
 * The one seam between d2l and the kernel: the host object src/kernel/host.js publishes and
 * d2l/src/figure/display.ts reads, and the rule by which both find tslab. Each side writes its key and
 * its rule once; these tests fail when they drift apart. The object over the wire: kernel.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_VERSION, KERNEL_HOST, findTslab as d2lFindTslab } from 'd2l/dist/figure/display';
import * as host from '../../src/kernel/host';
import { findTslab } from '../../src/kernel/find-tslab';
import { PROJECT_ROOT } from '../../src/paths';
import { fakeKernel } from '../support/fake-kernel';

test('d2l reads the host object by the key and the version the kernel publishes', () => {
  expect(KERNEL_HOST).toBe(host.KEY);
  expect(HOST_VERSION).toBe(host.VERSION);
});

describe('both sides find the same tslab', () => {
  let local: string;
  beforeAll(() => {
    fs.mkdirSync(path.join(PROJECT_ROOT, 'tmp'), { recursive: true });
    local = fs.mkdtempSync(path.join(PROJECT_ROOT, 'tmp', 'find-tslab-'));
    const copy = path.join(local, 'node_modules', 'tslab');
    fs.mkdirSync(copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'package.json'), '{"name": "tslab", "version": "0.0.0"}');
  });
  afterAll(() => fs.rmSync(local, { recursive: true, force: true }));

  test.each([
    ['the project', () => PROJECT_ROOT],
    ['a notebook folder with its own tslab (tslab switches to it)', () => path.join(local, 'sub')],
    ['a folder outside the project', () => os.tmpdir()],
  ])('from %s', (_where, cwd) => {
    expect(d2lFindTslab(cwd())).toBe(findTslab(cwd()));
  });

  test('a local copy wins over the project’s', () => {
    expect(findTslab(local)).toBe(path.join(local, 'node_modules', 'tslab'));
  });
});

describe('the host object', () => {
  test('sends each bundle whole, by the running cell’s sender; an update names the display it replaces', () => {
    const kernel = fakeKernel();
    host.host.display({ 'text/plain': 'a', 'image/png': 'AA==' }, { m: 1 });
    host.host.display({ 'text/plain': 'b' }, {}, 'id1');
    host.host.update('id1', { 'text/plain': 'c' }, {});
    expect(kernel.outputs).toEqual([
      { data: { 'text/plain': 'a', 'image/png': 'AA==' }, metadata: { m: 1 }, transient: {}, update: false },
      { data: { 'text/plain': 'b' }, metadata: {}, transient: { display_id: 'id1' }, update: false },
      { data: { 'text/plain': 'c' }, metadata: {}, transient: { display_id: 'id1' }, update: true },
    ]);
    kernel.close();
    expect((globalThis as Record<symbol, unknown>)[host.KEY]).toBeUndefined();
  });

  test('cell-end hooks run once, in order, a failing one reported without stopping the others', () => {
    const kernel = fakeKernel();
    const ran: string[] = [];
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    host.host.atCellEnd(() => ran.push('first'));
    host.host.atCellEnd(() => {
      throw new Error('hook');
    });
    host.host.atCellEnd(() => ran.push('last'));
    kernel.endCell();
    kernel.endCell();
    expect(ran).toEqual(['first', 'last']);
    expect(error).toHaveBeenCalledTimes(1);
    error.mockRestore();
    kernel.close();
  });

  describe('idle tasks', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    test('run once the kernel has been idle for IDLE_MS, one per idle moment, never during a cell', () => {
      const kernel = fakeKernel(); // a cell is running
      const ran: string[] = [];
      host.host.whenIdle(() => ran.push('a'));
      host.host.whenIdle(() => ran.push('b'));
      jest.advanceTimersByTime(10 * host.IDLE_MS);
      expect(ran).toEqual([]); // the cell still runs
      kernel.endCell();
      jest.advanceTimersByTime(host.IDLE_MS - 10);
      kernel.request(); // e.g. a completion request: idle again from now
      jest.advanceTimersByTime(host.IDLE_MS - 10);
      expect(ran).toEqual([]);
      jest.advanceTimersByTime(10);
      expect(ran).toEqual(['a']); // one task, then a turn of the event loop
      jest.advanceTimersByTime(1);
      expect(ran).toEqual(['a', 'b']);
      jest.advanceTimersByTime(10 * host.IDLE_MS);
      expect(ran).toEqual(['a', 'b']); // each once
      kernel.close();
    });

    test('a task waiting when a cell starts waits for the cell to end; a failing one is reported', () => {
      const kernel = fakeKernel();
      kernel.endCell();
      const error = jest.spyOn(console, 'error').mockImplementation(() => {});
      const ran: string[] = [];
      host.host.whenIdle(() => {
        throw new Error('task');
      });
      host.host.whenIdle(() => ran.push('after the failure'));
      jest.advanceTimersByTime(host.IDLE_MS + 5);
      expect(error).toHaveBeenCalledTimes(1);
      expect(ran).toEqual(['after the failure']);
      host.host.whenIdle(() => ran.push('late'));
      host.cellStarted(() => {}); // the next cell starts before the kernel is idle again
      jest.advanceTimersByTime(10 * host.IDLE_MS);
      expect(ran).toEqual(['after the failure']);
      host.cellEnded();
      jest.advanceTimersByTime(host.IDLE_MS + 5);
      expect(ran).toEqual(['after the failure', 'late']);
      error.mockRestore();
      kernel.close();
    });

    test('D2L_KERNEL_IDLE=0 turns them off', () => {
      const kernel = fakeKernel();
      kernel.endCell();
      const ran: string[] = [];
      process.env.D2L_KERNEL_IDLE = '0';
      try {
        host.host.whenIdle(() => ran.push('a'));
      } finally {
        delete process.env.D2L_KERNEL_IDLE;
      }
      jest.advanceTimersByTime(10 * host.IDLE_MS);
      expect(ran).toEqual([]);
      kernel.close();
    });
  });
});
