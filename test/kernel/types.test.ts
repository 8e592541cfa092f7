/**
 * The @types packages the kernel type-loads (src/kernel/types.js): those the nearest tsconfig.json's
 * `types` lists, else those a package.json names, plus what a cell imports; not every package npm
 * hoisted into node_modules/@types.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectTypes } from '../../src/kernel/types';
import { kernelSpec } from '../../src/kernelspec';
import { PROJECT_ROOT } from '../../src/paths';
import { KernelSession } from '../support/kernel-session';

/** Writes `files` (path → text) under a fresh folder and returns it. */
function scratchProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-types-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const typesPackage = (name: string, declarations: string) => ({
  [`node_modules/@types/${name}/package.json`]: JSON.stringify({
    name: `@types/${name}`,
    types: 'index.d.ts',
  }),
  [`node_modules/@types/${name}/index.d.ts`]: declarations,
});

const project = scratchProject({
  'package.json': JSON.stringify({
    dependencies: { imported: '1.0.0' },
    devDependencies: { '@types/listed-globals': '1.0.0', '@types/imported': '1.0.0', typescript: '5' },
  }),
  'notebooks/package.json': JSON.stringify({ optionalDependencies: { '@types/nested': '1.0.0' } }),
  ...typesPackage('listed-globals', 'declare const LISTED_GLOBAL: number;\n'),
  ...typesPackage('unlisted-globals', 'declare const UNLISTED_GLOBAL: number;\n'),
  ...typesPackage('imported', 'export declare function twice(x: number): number;\n'),
  'node_modules/imported/package.json': JSON.stringify({ name: 'imported', main: 'index.js' }),
  'node_modules/imported/index.js': 'exports.twice = (x) => 2 * x;\n',
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

test('projectTypes: node and the @types packages named in each package.json from the folder up', () => {
  expect(projectTypes(path.join(project, 'notebooks')).sort()).toEqual([
    'imported',
    'listed-globals',
    'nested',
    'node',
  ]);
  expect(projectTypes(path.join(project, 'node_modules'))).toEqual(['node', 'listed-globals', 'imported']);
});

test("projectTypes: the nearest tsconfig.json's compilerOptions.types when it sets them", () => {
  const configured = scratchProject({
    'package.json': JSON.stringify({ devDependencies: { '@types/jest': '29' } }),
    // JSON with comments and a trailing comma, as tsc reads it
    'tsconfig.json':
      '{\n  // the notebooks\' globals\n  "compilerOptions": { "types": ["node", "listed",] },\n}\n',
    'a/b/.keep': '',
    'untyped/tsconfig.json': JSON.stringify({ compilerOptions: { strict: true } }),
  });
  try {
    expect(projectTypes(path.join(configured, 'a', 'b'))).toEqual(['node', 'listed']);
    // the nearest tsconfig.json sets no types: the package.json rule
    expect(projectTypes(path.join(configured, 'untyped')).sort()).toEqual(['jest', 'node']);
  } finally {
    fs.rmSync(configured, { recursive: true, force: true });
  }
});

describe("a kernel in notebooks/zh: notebooks/tsconfig.json's types, not the tests' @types/jest", () => {
  let kernel: KernelSession;
  beforeAll(async () => {
    kernel = await KernelSession.start(kernelSpec().argv, path.join(PROJECT_ROOT, 'notebooks', 'zh'));
  }, 60_000);
  afterAll(() => kernel?.close());

  const status = async (code: string) => {
    const exchange = kernel.execute(code);
    await exchange.iopub;
    return { status: (await exchange.reply).content.status, ename: (await exchange.reply).content.ename };
  };

  test("node's globals are known; jest's `describe` is a type error", async () => {
    expect(await status('const platform: string = process.platform;')).toMatchObject({ status: 'ok' });
    expect(await status('type Describe = typeof describe;')).toMatchObject({
      status: 'error',
      ename: 'CompileError',
    });
  });
});

describe('a notebook in a project with its own @types packages', () => {
  let kernel: KernelSession;
  beforeAll(async () => {
    kernel = await KernelSession.start(kernelSpec().argv, project);
  }, 60_000);
  afterAll(() => kernel?.close());

  const run = async (code: string) => {
    const exchange = kernel.execute(code);
    const reply = (await exchange.reply).content;
    const result = (await exchange.iopub).find((m) => m.header.msg_type === 'execute_result');
    return { status: reply.status, ename: reply.ename, value: result?.content.data };
  };

  test('an imported package is checked against its @types package, listed or not', async () => {
    expect(await run("import { twice } from 'imported';\ntwice(21)")).toMatchObject({
      status: 'ok',
      value: { 'text/plain': '42' },
    });
    expect(await run("twice('21')")).toMatchObject({ status: 'error', ename: 'CompileError' });
  });

  test('the global declarations of a listed @types package are known; an unlisted one is not loaded', async () => {
    expect(await run('type Listed = typeof LISTED_GLOBAL;')).toMatchObject({ status: 'ok' });
    expect(await run('type Unlisted = typeof UNLISTED_GLOBAL;')).toMatchObject({
      status: 'error',
      ename: 'CompileError',
    });
  });
});
