/**
 * What `import * as d2l from 'd2l'` costs a notebook's program: d2l's public declarations and the
 * packages they import. The kernel type-checks the first cell against all of them, so d2l's API names
 * its own types where a dependency's full declarations would add much and give a user little
 * (Figure#spec is a d2l.VegaLiteSpec, not vega-lite's TopLevelSpec: 0.5 MB of declarations).
 */
import * as path from 'node:path';
import * as ts from 'typescript';
import { PROJECT_ROOT } from '../../src/paths';

test("d2l's public declarations load neither vega-lite's nor vega's types, and still type a figure's spec", () => {
  const cell = path.join(PROJECT_ROOT, 'notebooks', '__public_types_cell__.ts');
  const text =
    "import * as d2l from 'd2l';\n" +
    'const spec: d2l.VegaLiteSpec = d2l.figure([0, 1], [1, 0]).spec;\n' +
    'const schema: string | undefined = spec.$schema;\n' +
    'export { schema };\n';
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (file, ...rest) =>
    file === cell ? ts.createSourceFile(file, text, ts.ScriptTarget.ES2022) : getSourceFile(file, ...rest);
  const fileExists = host.fileExists;
  host.fileExists = (file) => file === cell || fileExists(file);
  const program = ts.createProgram([cell], options, host);

  const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(cell));
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  const files = program.getSourceFiles().map((file) => file.fileName);
  expect(files.some((file) => file.includes('/d2l/dist/figure/figure.d.ts'))).toBe(true);
  expect(files.filter((file) => /\/node_modules\/(vega|vega-lite|vega-typings)\//.test(file))).toEqual([]);
});
