/**
 * The d2l API reference is generated from the doc comments (`npm run docs`, TypeDoc, which fails on an
 * undocumented export or a broken link). What TypeDoc cannot check: that each export's comment names the
 * section that defines it, as the book's "d2l API Document" does, and shows an example.
 */
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '../..');
const INDEX = path.join(ROOT, 'd2l/src/index.ts');
/** "Defined in section 3.2", or a helper of this project's own that the book has no section for. */
const SECTION = /Defined in\s+section\s+\d+\.\d+|d2l-ts's own/;

function exportedDocs(): { name: string; text: string; tags: string[] }[] {
  const program = ts.createProgram([INDEX], { strict: true, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  // `tf` re-exports the @tensorflow/tfjs module, which TypeDoc leaves out as external: not d2l's to document.
  const exports = checker.getExportsOfModule(module).filter((s) => s.name !== 'tf');
  return exports.map((exported) => {
    const documented = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    return {
      name: exported.name,
      text: ts.displayPartsToString(documented.getDocumentationComment(checker)),
      tags: documented.getJsDocTags(checker).map((tag) => tag.name),
    };
  });
}

const docs = exportedDocs();

test('d2l exports the helpers the reference documents', () => {
  expect(docs.map((d) => d.name)).toEqual(
    expect.arrayContaining(['synthetic_data', 'sgd', 'plot', 'Animator']),
  );
});

test.each(docs.map((d) => [d.name, d]))(
  '%s: its doc comment names its section and has an example',
  (_, d) => {
    expect(d.text).toMatch(SECTION);
    expect(d.tags).toContain('example');
  },
);
