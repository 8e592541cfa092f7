/**
 * Exports the d2l package from the notebooks, as d2lbook and nbdev do: every code cell whose first line
 * is `//@save` is a helper the book keeps, and the notebooks are the source of truth.
 *
 * Each notebook with saved cells becomes one module `d2l/src/saved/<name>.ts` (the notebook's file name
 * without its section number), with a do-not-edit header, the imports its code needs and `export` in
 * front of every top-level declaration. `d2l/src/saved/index.ts` re-exports them all, and
 * `d2l/src/index.ts` re-exports that.
 *
 * Saved cells hold declarations only and no `export` keyword: tslab rejects `export` in a cell
 * ("Cannot redeclare exported variable"), and a declaration in one cell is visible in later ones anyway.
 * They use `tf` from an earlier `import * as tf from '@tensorflow/tfjs'` cell.
 *
 * Usage: see USAGE below (`npm run export -- --help`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as ts from 'typescript';
import { PROJECT_ROOT } from './paths';

export const NOTEBOOKS_DIR = path.join(PROJECT_ROOT, 'notebooks');
export const SAVED_DIR = path.join(PROJECT_ROOT, 'd2l/src/saved');
export const SAVE_MARK = '//@save';

/** The imports a saved cell may rely on without defining them, by the name it uses. */
const EXTERNAL_IMPORTS: Record<string, string> = {
  tf: "import * as tf from '@tensorflow/tfjs';",
};

/** One `//@save` cell. */
export interface SavedBlock {
  /** The notebook's path relative to the repository root, e.g. `notebooks/3.2-linear-regression-scratch.ipynb`. */
  notebook: string;
  /** The cell's nbformat id. */
  cellId: string;
  /** The cell's code after the `//@save` line. */
  code: string;
  /** Top-level names the cell declares, with the kind of each declaration. */
  declarations: { name: string; kind: 'function' | 'class' | 'type' | 'variable' }[];
  /** Import statements written in the cell itself (hoisted to the module's top). */
  ownImports: string[];
  /** Every identifier the cell's code refers to (a superset of its free names). */
  references: Set<string>;
}

interface NotebookJson {
  cells: { cell_type: string; id?: string; source: string | string[] }[];
}

const sourceText = (source: string | string[]): string => (Array.isArray(source) ? source.join('') : source);

/** Whether a code cell's source is a saved cell: its first line is `//@save`. */
export const isSavedCell = (source: string): boolean => source.split('\n')[0].trim() === SAVE_MARK;

/** The `//@save` cells of a notebook, in order. */
export function readSavedBlocks(notebookPath: string): SavedBlock[] {
  const notebook = path.relative(PROJECT_ROOT, notebookPath);
  const json = JSON.parse(fs.readFileSync(notebookPath, 'utf8')) as NotebookJson;
  const blocks: SavedBlock[] = [];
  json.cells.forEach((cell, index) => {
    const source = sourceText(cell.source);
    if (cell.cell_type !== 'code' || !isSavedCell(source)) return;
    const code = source.slice(source.indexOf('\n') + 1).trimEnd();
    blocks.push(analyse(source.includes('\n') ? code : '', notebook, cell.id ?? `#${index}`));
  });
  return blocks;
}

/** Parses a saved cell and checks that it holds only imports and declarations, without `export`. */
function analyse(code: string, notebook: string, cellId: string): SavedBlock {
  const where = `${notebook}, cell ${cellId}`;
  const file = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const block: SavedBlock = {
    notebook,
    cellId,
    code,
    declarations: [],
    ownImports: [],
    references: new Set(),
  };
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      block.ownImports.push(statement.getText(file));
      continue;
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (exported || ts.isExportDeclaration(statement) || ts.isExportAssignment(statement)) {
      throw new Error(`${where}: remove 'export' (tslab rejects it in a cell; the exporter adds it)`);
    }
    if (ts.isFunctionDeclaration(statement) && statement.name) {
      block.declarations.push({ name: statement.name.text, kind: 'function' });
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      block.declarations.push({ name: statement.name.text, kind: 'class' });
    } else if (
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement)
    ) {
      block.declarations.push({ name: statement.name.text, kind: 'type' });
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) throw new Error(`${where}: destructuring cannot be exported`);
        block.declarations.push({ name: d.name.text, kind: 'variable' });
      }
    } else {
      const line = file.getLineAndCharacterOfPosition(statement.getStart(file)).line + 2;
      throw new Error(`${where}, line ${line}: a ${SAVE_MARK} cell may hold only declarations`);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !isMemberName(node)) block.references.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return block;
}

/** Whether an identifier names a member (`x.name`, `{ name: … }`, a method) rather than a binding. */
function isMemberName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    ((ts.isPropertyAccessExpression(parent) || ts.isQualifiedName(parent)) &&
      (ts.isPropertyAccessExpression(parent) ? parent.name : parent.right) === node) ||
    ((ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent)) &&
      parent.name === node)
  );
}

/** The external imports (e.g. tfjs) a block needs: what a user must import to paste it into a notebook. */
export function externalImports(block: SavedBlock): string[] {
  const declared = new Set(block.declarations.map((d) => d.name));
  return Object.entries(EXTERNAL_IMPORTS)
    .filter(([name]) => block.references.has(name) && !declared.has(name))
    .map(([, statement]) => statement);
}

/** `3.2-linear-regression-scratch.ipynb` → `linear-regression-scratch`. */
export function moduleName(notebookPath: string): string {
  return path.basename(notebookPath, '.ipynb').replace(/^[\d.]+-/, '');
}

/** Inserts `export ` before every top-level declaration of a (checked) saved cell. */
function withExports(code: string): string {
  const file = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const starts = file.statements.filter((s) => !ts.isImportDeclaration(s)).map((s) => s.getStart(file));
  let out = code;
  for (const start of starts.reverse()) out = `${out.slice(0, start)}export ${out.slice(start)}`;
  return file.statements
    .filter(ts.isImportDeclaration)
    .reduce((text, s) => text.replace(s.getText(file), ''), out);
}

const header = (source: string): string =>
  `// Generated by \`npm run export\` from the //@save cells of ${source}.\n` +
  `// Do not edit: change the notebook and run \`npm run export\` again.\n`;

/** The notebooks in `dir`, in section order. */
export function notebookPaths(dir = NOTEBOOKS_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((f) => path.join(dir, f));
}

/**
 * Generates the package's saved modules from the notebooks.
 *
 * @returns file contents keyed by absolute path: one module per notebook with saved cells, plus the
 *   `index.ts` that re-exports them.
 */
export function generate(notebooks = notebookPaths()): Map<string, string> {
  const modules = notebooks
    .map((nb) => ({ name: moduleName(nb), blocks: readSavedBlocks(nb) }))
    .filter((m) => m.blocks.length > 0);
  const owner = new Map<string, string>();
  for (const m of modules) {
    for (const b of m.blocks) {
      for (const d of b.declarations) {
        const previous = owner.get(d.name);
        if (previous !== undefined) {
          throw new Error(`${b.notebook}: '${d.name}' is already saved in d2l/src/saved/${previous}.ts`);
        }
        owner.set(d.name, m.name);
      }
    }
  }
  const files = new Map<string, string>();
  for (const m of modules) {
    const imports = new Set<string>();
    const fromSiblings = new Map<string, Set<string>>();
    for (const b of m.blocks) {
      externalImports(b).forEach((i) => imports.add(i));
      b.ownImports.forEach((i) => imports.add(i));
      for (const name of b.references) {
        const other = owner.get(name);
        if (other !== undefined && other !== m.name) {
          fromSiblings.set(other, (fromSiblings.get(other) ?? new Set()).add(name));
        }
      }
    }
    for (const [other, names] of fromSiblings) {
      imports.add(`import { ${[...names].sort().join(', ')} } from './${other}';`);
    }
    const body = m.blocks.map((b) => withExports(b.code).trim()).join('\n\n');
    const text = `${header(m.blocks[0].notebook)}\n${[...imports].join('\n')}\n\n${body}\n`;
    files.set(path.join(SAVED_DIR, `${m.name}.ts`), text);
  }
  const index =
    header('the notebooks in notebooks/') +
    '\n' +
    modules.map((m) => `export * from './${m.name}';\n`).join('');
  files.set(path.join(SAVED_DIR, 'index.ts'), index);
  return formatAll(files);
}

/**
 * Formats the files as `npm run lint` expects. Prettier runs in a child process: its CommonJS entry
 * loads plugins with import(), which jest cannot run.
 */
function formatAll(files: Map<string, string>): Map<string, string> {
  const prettier = path.join(path.dirname(require.resolve('prettier')), 'bin/prettier.cjs');
  const formatted = new Map<string, string>();
  for (const [file, text] of files) {
    const args = [prettier, '--stdin-filepath', file];
    formatted.set(file, execFileSync(process.execPath, args, { input: text, encoding: 'utf8' }));
  }
  return formatted;
}

/** Paths (relative to the root) whose content differs from `files`, plus stale files in the saved folder. */
export function differences(files: Map<string, string>): string[] {
  const stale = fs.existsSync(SAVED_DIR)
    ? fs
        .readdirSync(SAVED_DIR)
        .map((f) => path.join(SAVED_DIR, f))
        .filter((f) => !files.has(f))
    : [];
  const changed = [...files].filter(([f, text]) => !fs.existsSync(f) || fs.readFileSync(f, 'utf8') !== text);
  return [...changed.map(([f]) => f), ...stale].map((f) => path.relative(PROJECT_ROOT, f));
}

/**
 * Copies declarations edited in the generated modules back into the notebooks' saved cells, like
 * nbdev's `nbdev_update`: a way to port a change made in a .ts file. Each cell gets the module's text of
 * the declarations it holds, without `export`. Cells whose declarations are missing from the module
 * are left alone.
 *
 * @returns the notebooks it rewrote, relative to the root.
 */
export function updateNotebooks(notebooks = notebookPaths(), savedDir = SAVED_DIR): string[] {
  const updated: string[] = [];
  for (const nb of notebooks) {
    const modulePath = path.join(savedDir, `${moduleName(nb)}.ts`);
    const blocks = readSavedBlocks(nb);
    if (blocks.length === 0 || !fs.existsSync(modulePath)) continue;
    const declarations = moduleDeclarations(fs.readFileSync(modulePath, 'utf8'));
    let text = fs.readFileSync(nb, 'utf8');
    for (const block of blocks) {
      const texts = block.declarations.map((d) => declarations.get(d.name));
      if (texts.some((t) => t === undefined)) continue;
      const code = [...new Set(texts)].join('\n\n');
      if (code !== block.code.trim()) text = replaceSource(text, block.cellId, `${SAVE_MARK}\n${code}`);
    }
    if (text !== fs.readFileSync(nb, 'utf8')) {
      fs.writeFileSync(nb, text);
      updated.push(path.relative(PROJECT_ROOT, nb));
    }
  }
  return updated;
}

/**
 * Replaces one cell's source in a notebook file as Jupyter writes it (keys sorted, one-space indent, so
 * `source` is a cell's last key), leaving every other byte alone: re-serialising the whole notebook
 * would reformat the numbers in its outputs.
 */
function replaceSource(text: string, cellId: string, source: string): string {
  const idAt = text.indexOf(`\n   "id": ${JSON.stringify(cellId)},`);
  const start = text.indexOf('\n   "source": ', idAt);
  const end = text.indexOf('\n  }', start);
  const parsed = JSON.parse(text) as NotebookJson;
  const lines = source.split('\n').map((line, i, all) => (i < all.length - 1 ? `${line}\n` : line));
  const value = JSON.stringify(lines, null, 1).replace(/\n/g, '\n   ');
  const result =
    idAt < 0 || start < 0 || end < 0
      ? ''
      : `${text.slice(0, start)}\n   "source": ${value}${text.slice(end)}`;
  // Check the edit: valid JSON, that cell changed, nothing else did.
  const check = result === '' ? undefined : (JSON.parse(result) as NotebookJson);
  const ok =
    check !== undefined &&
    check.cells.every((c, i) =>
      c.id === cellId
        ? sourceText(c.source) === source
        : JSON.stringify(c) === JSON.stringify(parsed.cells[i]),
    );
  if (!ok) throw new Error(`cannot update cell ${cellId}: the notebook is not laid out as Jupyter writes it`);
  return result;
}

/** The text of each top-level declaration of a module (with its doc comment, without `export`), by name. */
function moduleDeclarations(text: string): Map<string, string> {
  const file = ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const byName = new Map<string, string>();
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) continue;
    const exportKeyword = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : undefined;
    // Leading comments, minus the generated header that precedes the imports.
    const comments = ts.getLeadingCommentRanges(text, statement.getFullStart()) ?? [];
    const docStart = comments.find((c) => text.startsWith('/**', c.pos))?.pos ?? statement.getStart(file);
    let code = text.slice(docStart, statement.getEnd());
    if (exportKeyword !== undefined) {
      const at = exportKeyword.getStart(file) - docStart;
      code = code.slice(0, at) + code.slice(at + 'export'.length).replace(/^\s+/, '');
    }
    const names = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.map((d) => d.name.getText(file))
      : [(statement as ts.DeclarationStatement).name?.getText(file)];
    for (const name of names) if (name !== undefined) byName.set(name, code.trim());
  }
  return byName;
}

const USAGE = `usage: npm run export [-- --check | --update-notebooks]
  (no option)          writes d2l/src/saved from the notebooks' //@save cells
  --check              exits 1 if d2l/src/saved differs from the notebooks
  --update-notebooks   copies declarations edited in d2l/src/saved back into the cells`;

function main(): void {
  let options: { check?: boolean; 'update-notebooks'?: boolean; help?: boolean };
  try {
    options = parseArgs({
      options: {
        check: { type: 'boolean' },
        'update-notebooks': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
    if (options.check && options['update-notebooks']) {
      throw new Error('give --check or --update-notebooks, not both');
    }
  } catch (e) {
    // A mistyped --check must not fall through to a full export that rewrites the modules.
    console.error(`export: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (options['update-notebooks']) {
    const updated = updateNotebooks();
    console.log(
      updated.length > 0 ? `updated ${updated.join(', ')}` : 'the notebooks already match d2l/src/saved',
    );
    return;
  }
  const files = generate();
  const diff = differences(files);
  if (options.check) {
    if (diff.length > 0) {
      console.error(`out of date with the notebooks (run \`npm run export\`): ${diff.join(', ')}`);
      process.exit(1);
    }
    console.log('d2l/src/saved matches the notebooks');
    return;
  }
  fs.mkdirSync(SAVED_DIR, { recursive: true });
  for (const f of fs.readdirSync(SAVED_DIR)) {
    if (!files.has(path.join(SAVED_DIR, f))) fs.rmSync(path.join(SAVED_DIR, f));
  }
  for (const [f, text] of files) fs.writeFileSync(f, text);
  console.log(diff.length > 0 ? `wrote ${diff.join(', ')}` : 'd2l/src/saved was already up to date');
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
