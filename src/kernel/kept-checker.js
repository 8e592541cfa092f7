// @ts-check
// One program and its type checker kept across cells, while the program would stay the same.
// converter.js's language service makes a new program, and so a new checker, for every version of the
// cell: the new checker resolves again tfjs's `export *` graph and the type of every earlier
// declaration, most of a cell's compile. Here a cell (and, when it changed, the earlier cells'
// declarations, `__prev__.d.ts`) are parsed and bound as files the kept program does not hold, and the
// kept program checks and emits them: its checker goes by the nodes it is given, and caches what it
// resolved once (tfjs's types) for every later cell.
// The program would stay the same when its structure does: the files the cell and the declarations
// import, in order, are those of the cells the program was built with (so a fresh program would hold
// the same files, in the same order), each of them in the program; neither declares a global or a
// module (`declare global`, `declare module 'x'`), which a checker merges only when it is made;
// neither has a `/// <reference path|lib>` or imports `./__prev__` or `./__tslab__` (the kept
// program's would be found). converter.js decides the rest (no local file changed, no `//@module`
// cell since, TypeScript cells only) and builds a new program when it is not so, and every
// KEPT_CELLS cells, so that what a kept checker holds of earlier cells stays bounded.
// TypeScript internals used (TypeScript 5.0.4, tslab's fork; test/kernel/canaries.test.ts checks them):
// - ts.bindSourceFile(file, options): a program binds its own files when it makes its checker; a file
//   it does not hold is bound here.
// - ts.setResolvedModule(file, name, resolution, mode): where the checker finds a file's imports
//   (TypeScript 5.0 keeps them on the SourceFile, `file.resolvedModules`); a program sets them for its
//   own files.
// - Program#getSyntacticDiagnostics / getSemanticDiagnostics / getDeclarationDiagnostics / emit and
//   TypeChecker methods given a SourceFile the program does not hold: they work on the file object,
//   and cache per file name or path. Each kept cell gets a file name of its own (`__tslab__.N.ts`):
//   the checker's diagnostics are collected per file name, and a diagnostic equal to one already
//   collected is not added again.
// - the fork's `parent` of a cell's SourceFile (converter.js sets it, as for the program's own cell).
'use strict';

/**
 * @param {any} ts tslab's TypeScript fork
 * @param {object} options
 * @param {any} options.compilerOptions
 * @param {(name: string, containingFile: string) => any} options.resolveModule the host's resolution
 * @param {(name: string, containingFile: string) => string | undefined} options.resolveTypeReference
 * @param {string[]} options.cellFiles the declarations' and the cell's file names: an import of one
 *   would find the kept program's, not the new one
 */
function createKeptChecker(ts, { compilerOptions, resolveModule, resolveTypeReference, cellFiles }) {
  /**
   * The kept program: its checker, the declarations file a cell is checked against (the program's
   * own, or the last one parsed here), what its cells import, how many cells it checked.
   * @type {{ program: any, structure: string, decls: any, cells: number, last?: { text: string, file: any } } | undefined}
   */
  let kept;
  let serial = 0;
  /** Cells the kept programs checked, and programs kept, over the converter's life. */
  const counts = { cells: 0, programs: 0 };
  const sourceFileOptions = {
    languageVersion: ts.getEmitScriptTarget(compilerOptions),
    impliedNodeFormat: undefined,
    setExternalModuleIndicator: ts.getSetExternalModuleIndicator(compilerOptions),
  };

  /** @type {WeakMap<any, string | undefined>} a file's imports (files are not changed once parsed) */
  const importsOf = new WeakMap();

  /**
   * What the files import, in order: the files a program would add for them, in the order it would
   * (type references, then modules, and the names of those that do not resolve to a file); undefined
   * when one declares a global or a module, or references a file or a lib.
   * @param {any[]} files
   * @returns {string | undefined}
   */
  function structure(files) {
    /** @type {string[]} */
    const parts = [];
    for (const file of files) {
      if (!importsOf.has(file)) importsOf.set(file, imports(file));
      const part = importsOf.get(file);
      if (part === undefined) return undefined;
      parts.push(part);
    }
    return parts.filter((part) => part !== '').join('\n');
  }

  /**
   * @param {any} file
   * @returns {string | undefined}
   */
  function imports(file) {
    if (file.referencedFiles.length > 0 || file.libReferenceDirectives.length > 0) return undefined;
    /** @type {string[]} */
    const targets = [];
    for (const ref of file.typeReferenceDirectives) {
      const target = resolveTypeReference(ref.fileName, file.fileName);
      if (target === undefined) return undefined;
      targets.push(`types ${target}`);
    }
    const specifiers = moduleSpecifiers(file);
    if (specifiers === undefined) return undefined;
    for (const specifier of specifiers) {
      const target = resolveModule(specifier.text, file.fileName)?.resolvedFileName;
      if (target !== undefined && cellFiles.includes(target)) return undefined;
      // Unresolved: a module declared in a package's types (`node:path`), or none (an error either way).
      targets.push(target ?? `unresolved ${specifier.text}`);
    }
    return targets.join('\n');
  }

  /**
   * Sets the resolved modules of a file the program does not hold, where the checker finds them.
   * @param {any} file
   */
  function resolveImports(file) {
    for (const specifier of moduleSpecifiers(file) ?? []) {
      const resolvedModule = resolveModule(specifier.text, file.fileName);
      const mode = ts.getModeForUsageLocation(file, specifier);
      ts.setResolvedModule(file, specifier.text, { resolvedModule }, mode);
    }
  }

  /**
   * The module specifiers a file imports, as the program collects them (collectExternalModuleReferences):
   * import, export … from and import = require statements, then `import(…)` calls and types; undefined
   * when it declares a module or a global.
   * @param {any} file
   * @returns {any[] | undefined}
   */
  function moduleSpecifiers(file) {
    /** @type {any[]} */
    const specifiers = [];
    for (const stmt of file.statements) {
      if (
        ts.isModuleDeclaration(stmt) &&
        (ts.isStringLiteral(stmt.name) || ts.isGlobalScopeAugmentation(stmt))
      )
        return undefined;
      const name = moduleSpecifierOf(ts, stmt);
      if (name && ts.isStringLiteral(name) && name.text) specifiers.push(name);
    }
    if (file.flags & ts.NodeFlags.PossiblyContainsDynamicImport) {
      /** @param {any} node */
      const visit = (node) => {
        if (ts.isImportCall(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]))
          specifiers.push(node.arguments[0]);
        else if (
          ts.isImportTypeNode(node) &&
          ts.isLiteralTypeNode(node.argument) &&
          ts.isStringLiteral(node.argument.literal)
        )
          specifiers.push(node.argument.literal);
        ts.forEachChild(node, visit);
      };
      ts.forEachChild(file, visit);
    }
    return specifiers;
  }

  /**
   * A file the program does not hold, parsed and bound, its imports resolved.
   * @param {string} fileName
   * @param {string} text
   */
  function parse(fileName, text) {
    const file = ts.createSourceFile(fileName, text, sourceFileOptions, false, ts.ScriptKind.TS);
    // As a program sets them (its caches of a file's diagnostics go by path).
    file.path = file.resolvedPath = ts.toPath(fileName, '', (/** @type {string} */ f) => f);
    file.originalFileName = fileName;
    ts.bindSourceFile(file, compilerOptions);
    return file;
  }

  /**
   * Whether every import of a file resolves to a file the kept program holds (not, for one, a
   * package's JavaScript, which a program does not load): the checker looks them up there.
   * @param {any} file
   */
  function inProgram(file) {
    let all = true;
    file.resolvedModules?.forEach((/** @type {any} */ r) => {
      if (r.resolvedModule && !kept?.program.getSourceFile(r.resolvedModule.resolvedFileName)) all = false;
    });
    return all;
  }

  /**
   * Keeps `program`, built with `declsFile` and `srcFile` as its declarations and cell.
   * @param {any} program
   * @param {any} declsFile
   * @param {any} srcFile
   */
  function adopt(program, declsFile, srcFile) {
    const built = structure([declsFile, srcFile]);
    kept = built === undefined ? undefined : { program, structure: built, decls: declsFile, cells: 0 };
    if (kept) counts.programs++;
  }

  /**
   * The cell checked by the kept program, or undefined when a fresh program would differ from it
   * (or none is kept, or it checked KEPT_CELLS cells already).
   * @param {string} declsText the declarations file's text
   * @param {string} srcText the cell file's text
   * @param {string} srcFilename the cell's file name (a kept cell's is derived from it)
   * @returns {{ program: any, declsFile: any, srcFile: any } | undefined}
   */
  function check(declsText, srcText, srcFilename) {
    if (kept === undefined || kept.cells >= KEPT_CELLS) return undefined;
    // A file of the earlier cells' names, as the program would read `__prev__.d.ts` (same name).
    const decls = kept.decls.text === declsText ? kept.decls : parse(kept.decls.fileName, declsText);
    // The same text again (tslab's executor converts a first cell twice): the same file, checked once.
    let srcFile = kept.last?.text === srcText && decls === kept.decls ? kept.last.file : undefined;
    if (srcFile === undefined) {
      srcFile = parse(srcFilename.replace(/\.ts$/, `.${++serial}.ts`), srcText);
      if (structure([decls, srcFile]) !== kept.structure) return undefined;
      resolveImports(srcFile);
      if (decls !== kept.decls) resolveImports(decls);
      if (!inProgram(srcFile) || !inProgram(decls)) return undefined;
    }
    srcFile.parent = decls;
    kept.decls = decls;
    kept.last = { text: srcText, file: srcFile };
    kept.cells++;
    counts.cells++;
    return { program: kept.program, declsFile: decls, srcFile };
  }

  return {
    adopt,
    check,
    /** Whether the kept program has checked half the cells it may: time to build a new one when idle. */
    due: () => kept !== undefined && kept.cells >= KEPT_CELLS / 2,
    /** Forgets the kept program (the next cell builds a new one). */
    drop: () => (kept = undefined),
    /** How many cells kept programs checked, and how many programs were kept (for tests). */
    counts: () => ({ ...counts }),
  };
}

/**
 * The module a statement imports or re-exports from (`import … from`, `export … from`,
 * `import x = require(…)`), as written: an expression, a string literal when valid.
 * @param {any} ts tslab's TypeScript fork
 * @param {any} stmt
 * @returns {any}
 */
function moduleSpecifierOf(ts, stmt) {
  if (ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) return stmt.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(stmt) && ts.isExternalModuleReference(stmt.moduleReference))
    return stmt.moduleReference.expression;
  return undefined;
}

/** How many cells a kept program checks before a new one is built (what it holds of them is freed). */
const KEPT_CELLS = 50;

module.exports = { createKeptChecker, moduleSpecifierOf, KEPT_CELLS };
