/**
 * The internals of other packages this project leans on, in one place: after an upgrade of tslab,
 * zeromq or vega, this file says at once what moved. Each test names the code that depends on it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import * as d2l from 'd2l';
import { renderSvg } from 'd2l/dist/figure/render';
import { KERNEL_PRELOAD } from '../../src/kernelspec';
import { PROJECT_ROOT } from '../../src/paths';
import { concurrentSends } from '../support/zeromq-burst';

describe('tslab', () => {
  test("every internal the kernel's patches need (src/kernel/*.js) is in the lock file's tslab", () => {
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

  test("a cell's displays go through the writeDisplayData handleExecuteImpl is given (src/kernel/host.js sends by it)", () => {
    const tslab = require('../../src/kernel/tslab'); // eslint-disable-line @typescript-eslint/no-require-imports
    const source = String(tslab.internal('jupyter.JupyterHandlerImpl.prototype.handleExecuteImpl'));
    expect(source).toMatch(/^async handleExecuteImpl\(\w+, \w+, writeDisplayData\)/);
    // tslab's public display sends by the same sender: d2l's fallback in a kernel without the host.
    expect(source).toMatch(/exports\.lastWriteDisplayData = writeDisplayData/);
  });

  test("its executor reports a diagnostic as console.error('%s%d:%d - %s', ...) and wraps a cell as (async) function(exports, require) (src/kernel/executor.js reads both)", () => {
    const source = fs.readFileSync(require.resolve('tslab/dist/executor'), 'utf8');
    expect(source).toContain('console.error("%s%d:%d - %s", ');
    expect(source).toContain('"(async function(exports, require) { "');
    expect(source).toContain('"(function(exports, require) { "');
  });

  test('its launcher switches to the tslab found from the working directory (src/kernel/find-tslab.js and d2l follow it)', () => {
    const source = fs.readFileSync(require.resolve('tslab/dist/main'), 'utf8');
    expect(source).toMatch(/traverseAncestorDirs\(process\.cwd\(\)\)/);
    expect(source).toMatch(/createRequire\)\(process\.cwd\(\)\)/);
  });

  test("its public API has what d2l's fallback uses (d2l/src/figure/display.ts)", () => {
    const tslab = require('tslab'); // eslint-disable-line @typescript-eslint/no-require-imports
    expect(typeof tslab.display.png).toBe('function');
    expect(typeof tslab.newDisplay().png).toBe('function');
  });
});

test("tslab's TypeScript fork has the internals src/kernel/converter.js calls, as it calls them", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(
    require.resolve('@tslab/typescript-for-tslab', {
      paths: [path.join(PROJECT_ROOT, 'node_modules', 'tslab')],
    }),
  );
  expect(typeof ts.Completions.getCompletionsAtPositionForTslab).toBe('function');
  expect(ts.getQuickInfoAtPosition.length).toBe(4); // (sourceFile, checker, token, position): tslab's
  for (const name of [
    'getNullTransformationContext',
    'getDefaultTypeRoots',
    'findPrecedingToken',
    'findNextToken',
  ]) {
    expect(typeof ts[name]).toBe('function');
  }
  // A file's module resolutions, which converter.js follows to the local files a cell imports.
  const entry = path.join(PROJECT_ROOT, 'd2l', 'dist', 'index.d.ts');
  const program = ts.createProgram([entry], { noLib: true, types: [] });
  const resolved: string[] = [];
  program
    .getSourceFile(entry)
    .resolvedModules.forEach((r: { resolvedModule?: { resolvedFileName: string } }) => {
      if (r.resolvedModule) resolved.push(r.resolvedModule.resolvedFileName);
    });
  expect(resolved.some((file) => file.startsWith(path.join(PROJECT_ROOT, 'd2l', 'dist')))).toBe(true);
  // Its option to report a top-level await as error 1308 (converter.test.ts: cells reading earlier
  // cells' names show that the fork resolves them through the cell's `parent`).
  const source = fs.readFileSync(require.resolve('@tslab/typescript-for-tslab'), 'utf8');
  expect(source).toMatch(/disableTopLevelAwait/);
});

test("tslab's TypeScript fork checks and emits a file its program does not hold, as src/kernel/kept-checker.js gives it one", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(
    require.resolve('@tslab/typescript-for-tslab', {
      paths: [path.join(PROJECT_ROOT, 'node_modules', 'tslab')],
    }),
  );
  const dir = path.join(PROJECT_ROOT, 'virtual');
  const files: Record<string, string> = { [path.join(dir, 'a.ts')]: 'export const x: number = 1;\n' };
  const options = { noLib: true, types: [], declaration: true, module: ts.ModuleKind.ESNext };
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name: string, target: unknown) =>
    files[name] === undefined ? undefined : ts.createSourceFile(name, files[name], target);
  host.fileExists = (name: string) => files[name] !== undefined;
  host.readFile = (name: string) => files[name];
  host.directoryExists = (name: string) => name === dir;
  const program = ts.createProgram([path.join(dir, 'a.ts')], options, host);
  const checker = program.getTypeChecker();
  // A cell: parsed, given a path, bound, its import resolved on the file, as kept-checker.js does.
  const cellName = path.join(dir, 'cell.1.ts');
  const cell = ts.createSourceFile(cellName, "import { x } from './a';\nexport const y: string = x;\n", {
    languageVersion: ts.getEmitScriptTarget(options),
    impliedNodeFormat: undefined,
    setExternalModuleIndicator: ts.getSetExternalModuleIndicator(options),
  });
  cell.path = cell.resolvedPath = ts.toPath(cellName, '', (f: string) => f);
  ts.bindSourceFile(cell, options);
  const specifier = cell.statements[0].moduleSpecifier;
  const resolvedModule = ts.resolveModuleName('./a', cellName, options, host).resolvedModule;
  ts.setResolvedModule(cell, './a', { resolvedModule }, ts.getModeForUsageLocation(cell, specifier));
  // The import found through the file's resolutions (else error 2307), the error of its own.
  expect(program.getSemanticDiagnostics(cell).map((d: { code: number }) => d.code)).toEqual([2322]);
  expect(checker.getDiagnostics(cell).map((d: { file: unknown }) => d.file === cell)).toEqual([true]);
  const out: Record<string, string> = {};
  // converter.js's emit: the ES module made CommonJS by TypeScript's module transform, run after tslab's.
  program.emit(cell, (name: string, text: string) => (out[path.basename(name)] = text), undefined, false, {
    after: [ts.transformModule],
  });
  expect(out['cell.1.js']).toMatch(/a_1 = require\("\.\/a"\);\nexports\.y = a_1\.x;/);
  expect(out['cell.1.d.ts']).toMatch(/export declare const y: string/);
  // The program's own file is left as it was.
  expect(program.getSemanticDiagnostics(program.getSourceFile(path.join(dir, 'a.ts')))).toEqual([]);
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
  const view = new vega.View(vega.parse(compile(structuredClone(fig.spec) as TopLevelSpec).spec), {
    renderer: 'none',
  });
  expect(renderSvg(fig.spec, fig.width, fig.height)).toBe(await view.toSVG());
  view.finalize();
});
