// @ts-check
// Patch: each cell type-checked and compiled for what it costs itself, by one long-lived TypeScript
// language service.
// Replaces tslab 1.0.22's converter.createConverter (dist/converter.js). tslab's converter feeds a watch
// program: per cell it rebuilds the program twice (once more with `export {…}` of the names the cell
// declares, found by the first build), asks getPreEmitDiagnostics of the cell and its dependencies
// (declaration diagnostics included: one more declaration pass), emits, prunes the earlier cells'
// declarations with the checker and transpiles the output once more to CommonJS; it builds the whole
// program with the libraries' types before the kernel's first reply. Here one ts.LanguageService with
// per-file versions gets one program update per cell, whose `export {…}` comes from the cell's syntax;
// the cell's own syntactic and semantic diagnostics are asked (and its dependencies' until they have
// been compiled once), declaration diagnostics come from the one emit, which also makes the CommonJS;
// the program is parsed (in slices) and built after the kernel's first reply, in the background
// (warm-up, below). Most cells need no update at all: while the program would stay the same, the
// program and checker of an earlier cell check and emit the cell (kept-checker.js).
// What a convert returns is tslab's contract with its executor (dist/executor.js), unchanged: the
// cell's CommonJS `output` run as `(function(exports, require) {…})`, names of earlier cells read as
// `exports.name`, its last expression stored in `exports[lastExpressionVar]`, and `declOutput`, the
// `__prev__.d.ts` the next cell is checked against (this cell's declarations and the earlier ones it
// does not shadow). tslab's own exported helpers (esModuleToCommonJSModule, keepNamesInImport) are
// reused; the rest follows its code, function by function, so completion and inspection answer as before.
// Those functions are adapted from tslab 1.0.22's dist/converter.js, Copyright 2019 Yu Watanabe,
// under the Apache License 2.0 (node_modules/tslab/LICENSE), as this project is.
// D2L_KERNEL_CONVERTER=tslab keeps tslab's converter (to compare the two side by side).
'use strict';
const path = require('node:path');
const { setImmediate, setTimeout, clearTimeout } = require('node:timers');
const { performance } = require('node:perf_hooks');
const { createKeptChecker, moduleSpecifierOf } = require('./kept-checker');
const { host: kernelHost } = require('./host');

// The tslab internals it needs: what it replaces, then the tslab helpers it calls.
const needs = [
  'converter.createConverter',
  'executor.createExecutor',
  'converter.esModuleToCommonJSModule',
  'converter.keepNamesInImport',
  'util.isValidModuleName',
  'tspath.normalizeJoin',
];

/** The modules whose types the warm-up loads: what this project's notebooks import. */
const WARM_MODULES = ['@tensorflow/tfjs', 'd2l'];

/**
 * @typedef {object} Position
 * @property {number} offset
 * @property {number} line
 * @property {number} character
 */
/**
 * A diagnostic as tslab's executor prints it.
 * @typedef {object} CellDiagnostic
 * @property {Position} start
 * @property {Position} end
 * @property {string} messageText
 * @property {number} category
 * @property {number} code
 * @property {string} [fileName] relative to the working directory; none for the cell
 */
/**
 * @typedef {object} ConverterOptions
 * @property {boolean} [isJS]
 * @property {boolean} [isBrowser]
 */

/**
 * @param {typeof import('./tslab')} tslab
 * @returns {(options?: ConverterOptions) => unknown}
 */
function converterFactory(tslab) {
  /** @type {any} the fork's internals (getQuickInfoAtPosition, Completions…) are not in its typings */
  const ts = tslab.require('@tslab/typescript-for-tslab');
  const tslabConverter = tslab.internal('converter');
  /** @type {(js: string, target: number) => string} */
  const esModuleToCommonJSModule = tslabConverter.esModuleToCommonJSModule;
  /** @type {(im: unknown, names: Set<string>) => void} */
  const keepNamesInImport = tslabConverter.keepNamesInImport;
  const { isValidModuleName } = tslab.internal('util');
  const { normalizeJoin } = tslab.internal('tspath');

  /** tslab's getTranspileTargets: the target and lib for this Node. */
  function transpileTargets() {
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 18) return { target: ts.ScriptTarget.ES2022, lib: ['es2022'] };
    if (major >= 16) return { target: ts.ScriptTarget.ES2021, lib: ['es2021'] };
    return { target: ts.ScriptTarget.ES2020, lib: ['es2020'] };
  }

  const cancellationToken = {
    isCancellationRequested: () => false,
    throwIfCancellationRequested: () => {},
  };

  /** @param {ConverterOptions} [options] */
  return function createConverter(options) {
    const cwd = ts.sys.getCurrentDirectory();
    const srcFilename = normalizeJoin(cwd, options?.isJS ? '__tslab__.js' : '__tslab__.ts');
    const declFilename = normalizeJoin(cwd, '__prev__.d.ts');
    const outDir = 'outDir';
    const { target: transpileTarget, lib: transpileLib } = transpileTargets();
    // The cell's CommonJS from its one emit: TypeScript's CommonJS transform runs after tslab's
    // transformers (customTransformers) on the ES module it emits. tslab transpiles that output once
    // more (esModuleToCommonJSModule, a ts.transpileModule: a program and a checker of its own);
    // D2L_KERNEL_CJS=transpile does that (to compare the two side by side).
    const emitCommonJS = process.env.D2L_KERNEL_CJS !== 'transpile';
    /** @param {string} js */
    const toCommonJS = (js) => (emitCommonJS ? js : esModuleToCommonJSModule(js, transpileTarget));
    if (options?.isBrowser) transpileLib.push('dom', 'dom.iterable');
    // tslab's prefix: every cell is a module (`export {}`), its locals its own.
    const srcPrefix = 'export {};' + ts.sys.newLine;
    const srcPrefixOffsets = {
      offset: srcPrefix.length,
      line: (srcPrefix.match(/\n/g) || []).length,
      char: srcPrefix.length - (srcPrefix.lastIndexOf('\n') + 1),
    };

    /** In-memory files (the cell, the earlier declarations, `//@module` cells), with versions. */
    /** @type {Map<string, { text: string, version: number }>} */
    const memory = new Map([
      [declFilename, { text: srcPrefix, version: 0 }],
      [srcFilename, { text: srcPrefix, version: 0 }],
    ]);
    /** @type {string[]} */
    const rootFiles = [declFilename, srcFilename];
    let projectVersion = 0;
    /** Bumped when the program's files change otherwise than by a cell: a `//@module`, a local file. */
    let structureVersion = 0;
    /** Dependencies (local .ts/.js files) already compiled and handed to the executor. */
    const sideInputsConverted = new Set();
    /** @type {Map<string, number>} modification times of the local files the program read */
    const localVersions = new Map();

    /** @param {string} file @param {string} text */
    function setMemory(file, text) {
      const entry = memory.get(file);
      if (entry && entry.text === text) return;
      memory.set(file, { text, version: (entry?.version ?? 0) + 1 });
      projectVersion++;
    }

    const compilerOptions = {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      target: transpileTarget,
      lib: transpileLib.map((lib) => `lib.${lib}.d.ts`),
      declaration: true,
      newLine: ts.NewLineKind.LineFeed,
      noImplicitUseStrict: true,
      experimentalDecorators: true,
      resolveJsonModule: true,
      jsx: ts.JsxEmit.React,
      typeRoots: getTypeRoots(),
      allowJs: true,
      checkJs: true,
      disableTopLevelAwait: true,
      skipLibCheck: true,
      rootDir: cwd,
      outDir,
    };

    /** tslab's forwardTslabPath: `<cwd>/node_modules/tslab/…` read from the running tslab. */
    /** @param {string} file */
    function forwardTslabPath(file) {
      const rel = path.relative(normalizeJoin(cwd, 'node_modules', 'tslab'), file);
      return rel.startsWith('..') ? file : normalizeJoin(tslab.dir, rel);
    }
    /** @param {string} dir */
    function directoryExists(dir) {
      // tslab fakes `<cwd>/node_modules` so that `import … from 'tslab'` resolves without one.
      return ts.sys.directoryExists(forwardTslabPath(dir)) || normalizeJoin(cwd, 'node_modules') === dir;
    }
    /** @param {string} file */
    function fileExists(file) {
      return memory.has(file) || ts.sys.fileExists(forwardTslabPath(file));
    }
    /** @param {string} file @param {string} [encoding] */
    function readFile(file, encoding) {
      return memory.get(file)?.text ?? ts.sys.readFile(forwardTslabPath(file), encoding);
    }

    function getTypeRoots() {
      // tslab's: the default type roots, and tslab's own @types when none has @types/node (tslab#10).
      const typeRoots = ts.getDefaultTypeRoots(cwd, { directoryExists }) || [];
      for (const root of typeRoots) {
        if (ts.sys.fileExists(normalizeJoin(root, 'node', 'package.json'))) return typeRoots;
      }
      typeRoots.push(normalizeJoin(tslab.dir, 'node_modules', '@types'));
      return typeRoots;
    }

    /** @param {string} file */
    const isPackageFile = (file) =>
      file.includes('/node_modules/') ||
      file.startsWith(ts.getDirectoryPath(ts.getDefaultLibFilePath(compilerOptions)));

    // Module resolutions into packages are kept for the kernel's life (packages do not change under a
    // running kernel, as tslab assumes too); local ones are looked up again each time, so a file
    // created after a failed import is found.
    /** @type {Map<string, unknown>} */
    const packageResolutions = new Map();
    const packageCache = ts.createModuleResolutionCache(cwd, (/** @type {string} */ f) => f, compilerOptions);
    const moduleResolutionHost = {
      fileExists,
      readFile,
      directoryExists,
      realpath: ts.sys.realpath,
      getCurrentDirectory: () => cwd,
      getDirectories: ts.sys.getDirectories,
    };

    /** @type {Map<string, { version: string, snapshot: unknown }>} */
    const snapshots = new Map();
    const host = {
      getCompilationSettings: () => compilerOptions,
      getProjectVersion: () => String(projectVersion),
      getScriptFileNames: () => rootFiles,
      /** @param {string} file */
      getScriptVersion(file) {
        const entry = memory.get(file);
        if (entry) return String(entry.version);
        if (isPackageFile(file)) return '0';
        return String(localVersions.get(file) ?? 0);
      },
      /** @param {string} file */
      getScriptSnapshot(file) {
        // Asked for every file of the program at each update: read once per version.
        const version = host.getScriptVersion(file);
        const cached = snapshots.get(file);
        if (cached && cached.version === version) return cached.snapshot;
        const text = readFile(file);
        if (text === undefined) return undefined;
        const snapshot = ts.ScriptSnapshot.fromString(text);
        if (!memory.has(file) && !isPackageFile(file)) localVersions.set(file, mtime(file));
        snapshots.set(file, { version: host.getScriptVersion(file), snapshot });
        return snapshot;
      },
      getCurrentDirectory: () => cwd,
      /** @param {unknown} options */
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      useCaseSensitiveFileNames: () => true,
      fileExists,
      readFile,
      directoryExists,
      /** @param {string} dir */
      getDirectories: (dir) => ts.sys.getDirectories(dir),
      /** @param {string} dir @param {string[]} [extensions] @param {string[]} [exclude] @param {string[]} [include] @param {number} [depth] */
      readDirectory: (dir, extensions, exclude, include, depth) =>
        ts.sys.readDirectory(forwardTslabPath(dir), extensions, exclude, include, depth),
      /** @param {string} file */
      realpath: (file) => ts.sys.realpath(file),
      /** @param {string[]} names @param {string} containingFile */
      resolveModuleNames(names, containingFile) {
        return names.map((name) => {
          const key = `${ts.getDirectoryPath(containingFile)}\0${name}`;
          if (packageResolutions.has(key)) return packageResolutions.get(key);
          // TypeScript's cache (package.json files, folders looked up) only from inside packages.
          const cache = isPackageFile(containingFile) ? packageCache : undefined;
          const resolved = ts.resolveModuleName(
            name,
            containingFile,
            compilerOptions,
            moduleResolutionHost,
            cache,
          ).resolvedModule;
          if (resolved?.isExternalLibraryImport) packageResolutions.set(key, resolved);
          return resolved;
        });
      },
    };
    const registry = ts.createDocumentRegistry(true, cwd);
    const service = ts.createLanguageService(host, registry);
    // One checker kept across cells while the program would stay the same (kept-checker.js), for
    // TypeScript cells; D2L_KERNEL_CHECKER=fresh makes a new one for every cell (to compare the two).
    const kept =
      options?.isJS || process.env.D2L_KERNEL_CHECKER === 'fresh'
        ? undefined
        : createKeptChecker(ts, {
            compilerOptions,
            resolveModule: (name, containingFile) => host.resolveModuleNames([name], containingFile)[0],
            resolveTypeReference: resolveType,
            cellFiles: [declFilename, srcFilename],
          });
    /** The structureVersion of the kept program. */
    let keptStructure = -1;

    /** @param {string} file */
    function mtime(file) {
      try {
        return ts.sys.getModifiedTime(file)?.getTime() ?? 0;
      } catch {
        return 0;
      }
    }
    /** A local file changed on disk since the program read it: a new project version. */
    function checkLocalFiles() {
      for (const [file, time] of localVersions) {
        const now = mtime(file);
        if (now !== time) {
          localVersions.set(file, now);
          sideInputsConverted.delete(file);
          projectVersion++;
          structureVersion++;
        }
      }
    }

    /**
     * The program with `decls` as the earlier cells' declarations and `src` as the cell: one update.
     * @param {string} decls
     * @param {string} src
     */
    function update(decls, src) {
      warmed = true; // a real request: the warm-up has nothing left to do
      setMemory(declFilename, srcPrefix + decls);
      setMemory(srcFilename, srcPrefix + src);
      checkLocalFiles();
      const program = service.getProgram();
      releasePreparsed();
      const declsFile = program.getSourceFile(declFilename);
      const srcFile = program.getSourceFile(srcFilename);
      // The fork's checker resolves a cell's free names through its parent: the earlier declarations.
      srcFile.parent = declsFile;
      return { program, declsFile, srcFile };
    }

    /**
     * The cell checked by the kept program when it can be, else by a program updated for it, kept
     * when `adopt` (a cell to run; not a completion's or inspection's text, whose new program would
     * replace a kept checker with a new one, which knows nothing yet, for the next cell).
     * @param {string} decls
     * @param {string} src
     * @param {boolean} [adopt]
     */
    function cell(decls, src, adopt = true) {
      if (kept !== undefined) {
        checkLocalFiles();
        const checked =
          keptStructure === structureVersion
            ? kept.check(srcPrefix + decls, srcPrefix + src, srcFilename)
            : undefined;
        if (checked !== undefined) return checked;
      }
      const updated = update(decls, src);
      if (adopt || keptStructure !== structureVersion) {
        keptStructure = structureVersion;
        kept?.adopt(updated.program, updated.declsFile, updated.srcFile);
      }
      return updated;
    }

    // A kept program that has checked half the cells it may is replaced in the kernel's next idle moment
    // (host.js: no cell running, no request for a second), by the program of the last cell, checked
    // once more (its checker knows the types that cell used): the cell that would otherwise build it
    // does not wait for a new checker.
    /** @type {{ decls: string, src: string } | undefined} the last cell converted */
    let lastCell;
    let renewQueued = false;
    function renewWhenIdle() {
      if (renewQueued || !kept?.due()) return;
      renewQueued = true;
      kernelHost.whenIdle(() => {
        renewQueued = false;
        renew();
      });
    }
    /** Builds the kept program anew now, if it is due (what the idle task does). */
    function renew() {
      if (lastCell === undefined || !kept?.due()) return;
      const updated = update(lastCell.decls, lastCell.src);
      updated.program.getSemanticDiagnostics(updated.srcFile);
      keptStructure = structureVersion;
      kept.adopt(updated.program, updated.declsFile, updated.srcFile);
    }

    /**
     * @param {string} prevDecl
     * @param {string} src
     */
    function convert(prevDecl, src) {
      try {
        return convertCell(prevDecl, src);
      } finally {
        renewWhenIdle();
      }
    }

    /**
     * @param {string} prevDecl
     * @param {string} src
     */
    function convertCell(prevDecl, src) {
      const keys = declaredNames(src);
      const suffix = keys.size > 0 ? '\nexport {' + [...keys].join(', ') + '}' : '';
      lastCell = { decls: prevDecl, src: src + suffix };
      const { program, declsFile, srcFile } = cell(prevDecl, src + suffix);
      const deps = srcDependencies(program, srcFile).filter((dep) => !sideInputsConverted.has(dep));
      /** @type {unknown[]} */
      const found = [];
      for (const file of [srcFile, ...deps.map((dep) => program.getSourceFile(dep))]) {
        found.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
      }
      let diag = convertDiagnostics(srcFile, found);
      if (diag.diagnostics.length > 0) {
        // As getPreEmitDiagnostics would have listed them: the declaration diagnostics too.
        for (const file of [srcFile, ...deps.map((dep) => program.getSourceFile(dep))]) {
          found.push(...program.getDeclarationDiagnostics(file));
        }
        return {
          diagnostics: convertDiagnostics(srcFile, ts.sortAndDeduplicateDiagnostics(found)).diagnostics,
        };
      }
      const checker = program.getTypeChecker();
      /** @type {string | undefined} */ let output;
      /** @type {string | undefined} */ let declOutput;
      /** @type {string | undefined} */ let lastExpressionVar;
      /** @type {{ path: string, data: string }[] | undefined} */ let sideOutputs;
      /** @type {unknown[]} */ const emitDiagnostics = [];
      const transformers = customTransformers(checker, declsFile, keys, (/** @type {string} */ name) => {
        lastExpressionVar = name;
      });
      // Dependencies first, the cell last: the cell's last expression is the one kept.
      // The cell's outputs (`__tslab__.js`, or a kept cell's `__tslab__.N.js`).
      const dst = normalizeJoin(outDir, path.basename(srcFile.fileName).replace(/\.[jt]s$/, ''));
      for (const file of [...deps.map((dep) => program.getSourceFile(dep)), srcFile]) {
        const result = program.emit(
          file,
          (/** @type {string} */ fileName, /** @type {string} */ data) => {
            if (fileName === `${dst}.js`) output = data;
            else if (fileName === `${dst}.d.ts`) declOutput = data;
            else if (fileName.endsWith('.js')) {
              const rel = path.relative(outDir, fileName);
              if (rel.startsWith('..')) throw new Error('unexpected emit path: ' + fileName);
              (sideOutputs ??= []).push({
                path: normalizeJoin(cwd, rel),
                data: toCommonJS(data),
              });
            }
          },
          undefined,
          undefined,
          transformers,
        );
        emitDiagnostics.push(...result.diagnostics);
      }
      // Declaration diagnostics (a name the d.ts cannot write), which getPreEmitDiagnostics reported.
      diag = convertDiagnostics(srcFile, ts.sortAndDeduplicateDiagnostics(emitDiagnostics));
      if (diag.diagnostics.length > 0) return { diagnostics: diag.diagnostics };
      for (const dep of deps) sideInputsConverted.add(dep);
      sideOutputs?.sort((a, b) => a.path.localeCompare(b.path));
      declOutput += remainingDecls(checker, srcFile, declsFile);
      return {
        output: output === undefined ? undefined : toCommonJS(output),
        declOutput,
        diagnostics: [],
        hasToplevelAwait: hasToplevelAwait(program, srcFile),
        sideOutputs,
        lastExpressionVar,
      };
    }

    /**
     * Whether the cell awaits at its top level (tslab's isTopLevelAwaitDiagnostic: the fork reports
     * such an `await` as error 1308, which is dropped from the cell's diagnostics).
     * @param {any} program
     * @param {any} srcFile
     */
    function hasToplevelAwait(program, srcFile) {
      return program
        .getSemanticDiagnostics(srcFile)
        .some((/** @type {any} */ d) => isTopLevelAwaitDiagnostic(srcFile, d));
    }

    /** @param {any} srcFile @param {any} d */
    function isTopLevelAwaitDiagnostic(srcFile, d) {
      if (d.code !== 1308 || srcFile == null) return false;
      const awaitToken = ts.findPrecedingToken(d.start + d.length, srcFile);
      if (awaitToken.kind !== ts.SyntaxKind.AwaitKeyword) return false;
      for (let parent = awaitToken.parent; parent && parent !== srcFile; parent = parent.parent) {
        switch (parent.kind) {
          case ts.SyntaxKind.ArrowFunction:
          case ts.SyntaxKind.FunctionExpression:
          case ts.SyntaxKind.FunctionDeclaration:
          case ts.SyntaxKind.ClassDeclaration:
          case ts.SyntaxKind.ModuleDeclaration:
            return false;
        }
      }
      return true;
    }

    /**
     * The names a cell declares at its top level, from its syntax: what the binder puts in the file's
     * locals (tslab's keys), exported then to the next cells.
     * @param {string} src
     * @returns {Set<string>}
     */
    function declaredNames(src) {
      const file = ts.createSourceFile(
        srcFilename,
        srcPrefix + src,
        transpileTarget,
        false,
        options?.isJS ? ts.ScriptKind.JS : ts.ScriptKind.TS,
      );
      /** @type {Set<string>} */
      const names = new Set();
      /** @param {any} name */
      const addBinding = (name) => {
        if (ts.isIdentifier(name)) names.add(name.escapedText);
        else if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) {
          for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
        }
      };
      for (const stmt of file.statements) {
        if (ts.isVariableStatement(stmt)) {
          for (const decl of stmt.declarationList.declarations) addBinding(decl.name);
        } else if (
          ts.isFunctionDeclaration(stmt) ||
          ts.isClassDeclaration(stmt) ||
          ts.isEnumDeclaration(stmt) ||
          ts.isInterfaceDeclaration(stmt) ||
          ts.isTypeAliasDeclaration(stmt) ||
          ts.isImportEqualsDeclaration(stmt)
        ) {
          if (stmt.name) names.add(stmt.name.escapedText);
        } else if (ts.isModuleDeclaration(stmt)) {
          // `declare global` and `declare module 'x'` declare no local.
          if (ts.isIdentifier(stmt.name) && !(stmt.flags & ts.NodeFlags.GlobalAugmentation))
            names.add(stmt.name.escapedText);
        } else if (ts.isImportDeclaration(stmt) && stmt.importClause) {
          const clause = stmt.importClause;
          if (clause.name) names.add(clause.name.escapedText);
          const bindings = clause.namedBindings;
          if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.escapedText);
          else if (bindings) for (const element of bindings.elements) names.add(element.name.escapedText);
        }
      }
      return names;
    }

    /**
     * The local .ts and .js files the cell imports, directly or not (tslab's getAllSrcDependencies,
     * without the cell): they are compiled with it and handed to the executor as side outputs.
     * @param {any} program
     * @param {any} srcFile
     * @returns {string[]}
     */
    function srcDependencies(program, srcFile) {
      /** @type {Set<string>} */
      const seen = new Set([srcFile.fileName]);
      const queue = [srcFile];
      /** @type {string[]} */
      const deps = [];
      while (queue.length > 0) {
        const file = queue.shift();
        /** @type {string[]} */
        const next = [];
        file.resolvedModules?.forEach((/** @type {any} */ resolution) => {
          const resolved = resolution?.resolvedModule;
          if (resolved?.resolvedFileName) next.push(resolved.resolvedFileName);
        });
        for (const ref of file.referencedFiles)
          next.push(ts.resolveTripleslashReference(ref.fileName, file.fileName));
        for (const name of next) {
          if (seen.has(name)) continue;
          seen.add(name);
          const dep = program.getSourceFile(name);
          if (!dep) continue;
          queue.push(dep);
          if (name.endsWith('.js') || (name.endsWith('.ts') && !name.endsWith('.d.ts'))) deps.push(name);
        }
      }
      return deps;
    }

    /**
     * tslab's remainingDecls: the earlier declarations the cell does not shadow, printed. tslab prunes
     * the program's own tree; here a copy parsed from the same text is pruned, so the service's file
     * stays as it was (the same declarations come back when the cell fails).
     * @param {any} checker
     * @param {any} srcSF
     * @param {any} declsSF
     */
    function remainingDecls(checker, srcSF, declsSF) {
      const locals = srcSF.locals;
      // A cell that shadows none of the earlier names keeps them all: what is printed then depends on
      // the declarations' text alone (the cells that declare nothing, or only new names: most).
      let shadows = false;
      locals?.forEach((/** @type {unknown} */ _, /** @type {string} */ key) => {
        if (declsSF.locals?.has(key)) shadows = true;
      });
      if (!shadows && unshadowed !== undefined && unshadowed.text === declsSF.text) return unshadowed.printed;
      const printed = printRemainingDecls(checker, locals, declsSF);
      if (!shadows) unshadowed = { text: declsSF.text, printed };
      return printed;
    }
    /** The declarations printed for the last cell that shadowed none of them. */
    /** @type {{ text: string, printed: string } | undefined} */
    let unshadowed;

    /** @param {any} checker @param {any} locals the cell's @param {any} declsSF */
    function printRemainingDecls(checker, locals, declsSF) {
      const copy = ts.createSourceFile(declFilename, declsSF.text, transpileTarget, true, ts.ScriptKind.TS);
      /** @type {Map<any, Set<string>>} */
      const keepMap = new Map();
      /** @param {any} node @param {string} name */
      function addName(node, name) {
        let set = keepMap.get(node);
        if (!set) keepMap.set(node, (set = new Set()));
        set.add(name);
      }
      /** @type {Set<string>} */ const valueNames = new Set();
      /** @type {Set<string>} */ const anyVars = new Set();
      declsSF.locals.forEach((/** @type {any} */ sym, /** @type {string} */ key) => {
        const keep = checkKeepDeclType(checker, locals?.get(key));
        if (!keep.type && !keep.value) return;
        sym.declarations.forEach((/** @type {any} */ decl) => {
          let node = decl;
          while (node.parent !== declsSF) node = node.parent;
          if (node.kind === ts.SyntaxKind.VariableStatement) {
            if (keep.value) {
              addName(node, key);
              anyVars.delete(key);
              valueNames.add(key);
            }
            return;
          }
          if (ts.isTypeAliasDeclaration(node)) {
            if (keep.type) addName(node, key);
            return;
          }
          if (ts.isClassDeclaration(node) || ts.isEnumDeclaration(node)) {
            if (keep.type) {
              if (keep.value) addName(node, key);
              return;
            }
            if (!valueNames.has(node.name.escapedText)) anyVars.add(node.name.escapedText);
            return;
          }
          if (ts.isImportDeclaration(node)) {
            if (keep.type && keep.value) {
              addName(node, key);
              return;
            }
            const aliased = checker.getAliasedSymbol(sym);
            if (!keep.value) {
              if (aliased.flags & ts.SymbolFlags.Value) return;
              // tslab's test (`&&`, as written there): kept.
              if (aliased.flags && ts.SymbolFlags.Type) addName(node, key);
              return;
            }
            if (aliased.flags & ts.SymbolFlags.Type) {
              if (aliased.flags & ts.SymbolFlags.Value && !valueNames.has(aliased.escapedName)) {
                anyVars.add(aliased.escapedName);
              }
              return;
            }
            addName(node, key);
            return;
          }
          if (ts.isFunctionDeclaration(node)) {
            if (keep.value) addName(node, key);
            return;
          }
          if (ts.isInterfaceDeclaration(node)) {
            if (keep.type) addName(node, key);
          }
        });
      });
      /** @type {any[]} */
      const statements = [];
      declsSF.statements.forEach((/** @type {any} */ stmt, /** @type {number} */ i) => {
        const names = keepMap.get(stmt);
        if (!names) return;
        const kept = copy.statements[i];
        statements.push(kept);
        if (ts.isVariableStatement(kept)) {
          const decls = kept.declarationList.declarations.filter(
            (/** @type {any} */ decl) => ts.isIdentifier(decl.name) && names.has(decl.name.escapedText),
          );
          kept.declarationList.declarations = ts.factory.createNodeArray(decls);
        }
        if (ts.isImportDeclaration(kept)) keepNamesInImport(kept, names);
      });
      copy.statements = ts.factory.createNodeArray(statements);
      const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
      return printer.printFile(copy) + [...anyVars].map((name) => `let ${name}: any;\n`).join('');
    }

    /** @param {any} checker @param {any} symb */
    function checkKeepDeclType(checker, symb) {
      const ret = { value: true, type: true };
      if (!symb) return ret;
      if (symb.flags & ts.SymbolFlags.Alias) symb = checker.getAliasedSymbol(symb);
      if (symb.flags & ts.SymbolFlags.Value) ret.value = false;
      if (symb.flags & ts.SymbolFlags.Type) ret.type = false;
      return ret;
    }

    /** @param {any} file @param {any} srcFile @param {number} offset @returns {Position} */
    function adjustSrcFileOffset(file, srcFile, offset) {
      const lineChar = ts.getLineAndCharacterOfPosition(file, offset);
      const pos = { offset, line: lineChar.line, character: lineChar.character };
      // The cell's and `//@module` cells' positions, as written (without the prefix).
      if (file === srcFile || (memory.has(file.fileName) && file.fileName !== declFilename)) {
        pos.offset -= srcPrefixOffsets.offset;
        pos.line -= srcPrefixOffsets.line;
        pos.character -= srcPrefixOffsets.char;
      }
      return pos;
    }

    /**
     * tslab's convertDiagnostics: positions in the cell as the user wrote it; the top-level await
     * diagnostic dropped; diagnostics outside the working directory dropped.
     * @param {any} srcFile the cell's file
     * @param {any[]} input
     */
    function convertDiagnostics(srcFile, input) {
      /** @type {CellDiagnostic[]} */
      const diagnostics = [];
      for (const d of input) {
        if (!d.file) continue;
        if (d.file === srcFile && isTopLevelAwaitDiagnostic(srcFile, d)) continue;
        /** @type {string | undefined} */
        let fileName;
        if (d.file !== srcFile) {
          const rel = path.relative(cwd, d.file.fileName);
          if (rel.startsWith('..')) continue;
          fileName = rel;
        }
        const start = adjustSrcFileOffset(d.file, srcFile, d.start);
        const end = adjustSrcFileOffset(d.file, srcFile, d.start + d.length);
        if (typeof d.messageText === 'string') {
          diagnostics.push({
            start,
            end,
            messageText: d.messageText,
            category: d.category,
            code: d.code,
            fileName,
          });
          continue;
        }
        traverseDiagnosticMessageChain(start, end, d.messageText, diagnostics, fileName);
      }
      return { diagnostics };
    }

    /**
     * @param {Position} start @param {Position} end @param {any} msg
     * @param {CellDiagnostic[]} out @param {string} [fileName]
     */
    function traverseDiagnosticMessageChain(start, end, msg, out, fileName) {
      out.push({
        start,
        end,
        messageText: msg.messageText,
        category: msg.category,
        code: msg.code,
        fileName,
      });
      // tslab passes no file name to the chain's children.
      for (const child of msg.next ?? []) traverseDiagnosticMessageChain(start, end, child, out);
    }

    /**
     * tslab's getCustomTransformers: names of earlier cells read as `exports.name`; the last
     * expression stored in an exported variable; `export {…}` dropped from the declarations.
     * @param {any} checker
     * @param {any} declsFile
     * @param {Set<string>} locals
     * @param {(name: string) => void} setLastExprName
     */
    function customTransformers(checker, declsFile, locals, setLastExprName) {
      const nullTransformationContext = ts.getNullTransformationContext();
      function createLastExprVar() {
        const prefix = 'tsLastExpr';
        if (!locals.has(prefix)) return prefix;
        for (let i = 0; ; i++) if (!locals.has(`${prefix}${i}`)) return `${prefix}${i}`;
      }
      /** @param {any} node @returns {any} */
      function wrapPrevIdentifier(node) {
        if (!ts.isIdentifier(node))
          return ts.visitEachChild(node, wrapPrevIdentifier, nullTransformationContext);
        if (node.parent && ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)
          return node;
        const prev = (checker.getSymbolAtLocation(node)?.declarations ?? []).some(
          (/** @type {any} */ decl) => decl.getSourceFile() === declsFile,
        );
        if (!prev) return node;
        return ts.factory.createPropertyAccessExpression(ts.factory.createIdentifier('exports'), node);
      }
      function after() {
        return (/** @type {any} */ node) => {
          node = ts.visitEachChild(node, wrapPrevIdentifier, nullTransformationContext);
          for (let i = node.statements.length - 1; i >= 0; i--) {
            const stmt = node.statements[i];
            if (ts.isExportDeclaration(stmt)) continue;
            if (!ts.isExpressionStatement(stmt)) break;
            const lastName = createLastExprVar();
            const statements = node.statements.slice(0, i);
            statements.push(
              ts.factory.createVariableStatement(
                [ts.factory.createModifier(ts.SyntaxKind.ExportKeyword)],
                ts.factory.createVariableDeclarationList(
                  [ts.factory.createVariableDeclaration(lastName, undefined, undefined, stmt.expression)],
                  ts.NodeFlags.Const,
                ),
              ),
            );
            setLastExprName(lastName);
            statements.push(...node.statements.slice(i + 1));
            node.statements = ts.factory.createNodeArray(statements);
            break;
          }
          return node;
        };
      }
      function afterDeclarations() {
        return (/** @type {any} */ node) => {
          node.statements = ts.factory.createNodeArray(
            node.statements.filter((/** @type {any} */ stmt) => !ts.isExportDeclaration(stmt)),
          );
          return node;
        };
      }
      return {
        after: emitCommonJS ? [after, ts.transformModule] : [after],
        afterDeclarations: [afterDeclarations],
      };
    }

    /** @param {string} prevDecl @param {string} src @param {number} position */
    function inspect(prevDecl, src, position) {
      const { program, srcFile } = cell(prevDecl, src, false);
      const info = ts.getQuickInfoAtPosition(
        srcFile,
        program.getTypeChecker(),
        cancellationToken,
        position + srcPrefix.length,
      );
      if (info && info.textSpan) info.textSpan.start -= srcPrefix.length;
      return info;
    }

    /** @param {string} prevDecl @param {string} src @param {number} position */
    function complete(prevDecl, src, position) {
      const { program, srcFile } = cell(prevDecl, src, false);
      const pos = position + srcPrefix.length;
      const info = ts.Completions.getCompletionsAtPositionForTslab(
        {},
        program,
        () => {},
        srcFile,
        pos,
        {},
        undefined,
        ts.CompletionTriggerKind.Invoked,
        cancellationToken,
      );
      if (info?.optionalReplacementSpan) info.optionalReplacementSpan.start -= srcPrefix.length;
      const prev = ts.findPrecedingToken(pos, srcFile);
      if (prev && ts.isIdentifier(prev) && prev.end >= pos) return completionWithId(info, prev, srcFile);
      const next = prev ? ts.findNextToken(prev, srcFile, srcFile) : null;
      if (next && ts.isIdentifier(next) && next.getStart(srcFile) <= pos && pos <= next.end) {
        return completionWithId(info, next, srcFile);
      }
      const entries = info && info.entries ? info.entries.slice() : [];
      entries.sort((/** @type {any} */ a, /** @type {any} */ b) => {
        const ord = a.sortText.localeCompare(b.sortText);
        return ord !== 0 ? ord : a.name.localeCompare(b.name);
      });
      return {
        start: pos - srcPrefix.length,
        end: pos - srcPrefix.length,
        candidates: entries.map((/** @type {any} */ e) => e.name),
        original: info,
      };
    }

    /** @param {any} info @param {any} id @param {any} srcFile */
    function completionWithId(info, id, srcFile) {
      const name = id.escapedText.toString();
      const lower = name.toLowerCase();
      const entries = info ? info.entries : [];
      const candidates = entries
        .map((/** @type {any} */ e, /** @type {number} */ index) => {
          const lname = e.name.toLowerCase();
          const key = e.name.startsWith(name)
            ? '0'
            : lname.startsWith(lower)
              ? '1'
              : lname.indexOf(lower) >= 0
                ? '2'
                : '';
          return key === '' ? null : { name: e.name, sortKey: key + e.sortText, index };
        })
        .filter((/** @type {any} */ e) => !!e);
      candidates.sort((/** @type {any} */ a, /** @type {any} */ b) => {
        const ord = a.sortKey.localeCompare(b.sortKey);
        return ord !== 0 ? ord : a.index - b.index;
      });
      return {
        start: id.getStart(srcFile) - srcPrefix.length,
        end: id.end - srcPrefix.length,
        candidates: candidates.map((/** @type {any} */ e) => e.name),
        original: info,
      };
    }

    /** @param {string} name @param {string} content @param {{ jsx?: boolean }} [meta] */
    function addModule(name, content, meta) {
      if (!isValidModuleName(name)) throw new Error('invalid module name: ' + JSON.stringify(name));
      let ext = options?.isJS ? '.js' : '.ts';
      if (meta?.jsx) ext += 'x';
      const file = normalizeJoin(cwd, name + ext);
      setMemory(file, srcPrefix + content);
      sideInputsConverted.delete(file);
      structureVersion++;
      if (!rootFiles.includes(file)) {
        rootFiles.push(file);
        projectVersion++;
      }
      warmed = true;
      const program = service.getProgram();
      releasePreparsed();
      return convertDiagnostics(
        program.getSourceFile(srcFilename),
        ts.getPreEmitDiagnostics(program, program.getSourceFile(file)),
      ).diagnostics;
    }

    function close() {
      kept?.drop(); // an idle task queued for it finds nothing due
      service.dispose();
    }

    // Warm-up: the program with the project's libraries' types, then a throw-away cell through the
    // whole convert (checker, emit, transpile), so that the first real cell finds it all parsed, bound
    // and compiled by V8. Its first part, the parse, starts after the kernel's first reply, in slices
    // that let requests in between (preparse, below); the rest once the kernel is idle, in steps. A
    // cell sent meanwhile does the remaining work itself (update() sets `warmed`).
    let warmed = false;
    const warmImports = WARM_MODULES.filter((name) => {
      try {
        require.resolve(`${name}/package.json`, { paths: [cwd] });
        return true;
      } catch {
        return false;
      }
    });
    const warmCell =
      warmImports.map((name, i) => `import * as m${i} from '${name}';`).join('\n') +
      '\nconst warm = [' +
      warmImports.map((_, i) => `m${i}`).join(', ') +
      '].length;\nwarm';
    const steps = [
      () => {
        setMemory(srcFilename, srcPrefix + warmCell);
        service.getProgram();
        releasePreparsed();
      },
      () => convert('', warmCell),
    ];
    function warm() {
      const step = steps.shift();
      if (warmed || !step) return;
      step();
      if (steps.length > 0) setImmediate(warm);
      else warmed = true;
    }

    // Pre-parse: the files the warm-up's program will read, parsed in slices of PARSE_SLICE_MS into
    // the language service's document registry, where the program's build finds them (same file,
    // settings and version). The files are found as the build finds them, by following each file's
    // references and top-level imports from the lib, the type-loaded packages and the warm-up's
    // imports; one missed (an `import("…")` type) is parsed by the build, one not in the program is
    // released with the others once a program holds its own.
    const libDir = ts.getDirectoryPath(ts.getDefaultLibFilePath(compilerOptions));
    /** @type {string[]} */
    const toParse = [];
    const found = new Set();
    /** @type {string[]} the files the pre-parse holds in the registry */
    const held = [];
    const TS_EXTENSIONS = new Set(['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.d.mts', '.d.cts']);
    /** @param {string | undefined} file */
    function enqueue(file) {
      if (file === undefined || found.has(file)) return;
      found.add(file);
      toParse.push(file);
    }
    /** @param {string} name @param {string} containingFile */
    function resolveType(name, containingFile) {
      return ts.resolveTypeReferenceDirective(name, containingFile, compilerOptions, moduleResolutionHost)
        .resolvedTypeReferenceDirective?.resolvedFileName;
    }
    /** @param {string} name @param {string} containingFile */
    function resolveImport(name, containingFile) {
      const resolved = /** @type {any} */ (host.resolveModuleNames([name], containingFile)[0]);
      return resolved && TS_EXTENSIONS.has(resolved.extension) ? resolved.resolvedFileName : undefined;
    }
    /** Module names a file's top-level statements (and `declare module` blocks) import. */
    /** @param {any} statements @param {string[]} names */
    function moduleNames(statements, names = []) {
      for (const stmt of statements) {
        const specifier = moduleSpecifierOf(ts, stmt);
        if (specifier && ts.isStringLiteral(specifier)) names.push(specifier.text);
        if (ts.isModuleDeclaration(stmt) && stmt.body && ts.isModuleBlock(stmt.body))
          moduleNames(stmt.body.statements, names);
      }
      return names;
    }
    function parseNext() {
      const file = /** @type {string} */ (toParse.shift());
      const snapshot = host.getScriptSnapshot(file);
      if (snapshot === undefined) return;
      const sourceFile = registry.acquireDocument(
        file,
        compilerOptions,
        snapshot,
        host.getScriptVersion(file),
      );
      held.push(file);
      const dir = ts.getDirectoryPath(file);
      for (const ref of sourceFile.referencedFiles) enqueue(path.resolve(dir, ref.fileName));
      for (const ref of sourceFile.typeReferenceDirectives) enqueue(resolveType(ref.fileName, file));
      for (const ref of sourceFile.libReferenceDirectives)
        enqueue(normalizeJoin(libDir, `lib.${ref.fileName.toLowerCase()}.d.ts`));
      for (const name of moduleNames(sourceFile.statements)) enqueue(resolveImport(name, file));
    }
    let parseStarted = false;
    /** Parses one slice; calls `done` (once) when nothing is left or a request took over. */
    /** @param {() => void} done */
    function preparse(done) {
      if (!parseStarted) {
        parseStarted = true;
        for (const lib of compilerOptions.lib) enqueue(normalizeJoin(libDir, lib));
        const inferred = normalizeJoin(cwd, '__inferred type names__.ts');
        for (const name of ts.getAutomaticTypeDirectiveNames(compilerOptions, host))
          enqueue(resolveType(name, inferred));
        for (const name of warmImports) enqueue(resolveImport(name, srcFilename));
      }
      const until = performance.now() + PARSE_SLICE_MS;
      while (!warmed && toParse.length > 0 && performance.now() < until) parseNext();
      if (warmed || toParse.length === 0) done();
      else setImmediate(() => preparse(done));
    }
    /** Gives back the pre-parse's hold on the files, once a program holds those it uses. */
    function releasePreparsed() {
      toParse.length = 0;
      for (const file of held.splice(0)) registry.releaseDocument(file, compilerOptions);
    }

    /**
     * The first cell's program, built and checked before the cell is converted for the executor (which
     * then finds it ready): what the cell needs, not the warm-up's libraries.
     * @param {string} src
     */
    function prepare(src) {
      convert('', src);
    }

    /** Cells checked by a kept program, and programs kept (kept-checker.js), for tests and benches. */
    const keptCounts = () => kept?.counts() ?? { cells: 0, programs: 0 };

    return {
      close,
      convert,
      inspect,
      complete,
      addModule,
      warm,
      preparse,
      prepare,
      isWarm: () => warmed,
      keptCounts,
      renew,
    };
  };
}

/** @typedef {{ warm: () => void, preparse: (done: () => void) => void, prepare: (src: string) => void, isWarm: () => boolean }} Warmable */
/**
 * The converter of the kernel's first createConverter call, warmed once the kernel is quiet.
 * @type {Warmable | null}
 */
let first = null;

/**
 * How long the shell must be quiet before the warm-up starts: clients greet a new kernel with
 * kernel_info requests until its iopub answers too, re-sent every 100 ms to 1 s (the runner's
 * KernelClient, jupyter_server's nudge).
 */
const QUIET_MS = 1500;

/** A pre-parse slice: a request arriving meanwhile waits at most this long. */
const PARSE_SLICE_MS = 15;

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  if (process.env.D2L_KERNEL_CONVERTER === 'tslab') return;
  const converterModule = tslab.internal('converter');
  const createConverter = converterFactory(tslab);
  converterModule.createConverter = (/** @type {ConverterOptions} */ options) => {
    const converter = /** @type {Warmable} */ (createConverter(options));
    if (first === null) {
      first = converter;
      scheduleWarm(converter);
    }
    return converter;
  };

  // The first cell, when it arrives before the warm-up is done, builds its program first: seconds in
  // which tslab's executor would not notice an interrupt (its SIGINT handler runs only once the cell's
  // script started, too late for a busy loop). The interrupt is watched for meanwhile, and stops the
  // cell. Installed before executor.js, which hands this its logger.
  const executorModule = tslab.internal('executor');
  /** @type {(rootDir: string, convs: unknown, logger: Console) => { execute: (source: string) => Promise<boolean> }} */
  const createExecutor = executorModule.createExecutor;
  /** @type {typeof createExecutor} */
  executorModule.createExecutor = function (rootDir, convs, logger) {
    const executor = createExecutor(rootDir, convs, logger);
    const execute = executor.execute;
    executor.execute = async (source) => {
      if (first === null || first.isWarm()) return execute(source);
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      await turn(); // an interrupt sent before this cell is not for it
      let interrupted = false;
      const onInterrupt = () => (interrupted = true);
      process.on('SIGINT', onInterrupt);
      try {
        first.prepare(source);
        await turn(); // a SIGINT received meanwhile is delivered now
      } finally {
        process.off('SIGINT', onInterrupt);
      }
      if (!interrupted) return execute(source);
      // As Node's vm reports an interrupted script (tracebacks.js: an `Interrupted` error).
      const error = Object.assign(new Error('Script execution was interrupted by `SIGINT`'), {
        code: 'ERR_SCRIPT_EXECUTION_INTERRUPTED',
      });
      logger.error(error);
      return false;
    };
    return executor;
  };
}

/**
 * Warms `converter`: its parse right after the first request (in slices of PARSE_SLICE_MS, so the
 * kernel_info requests a client re-sends meanwhile wait at most one slice), the rest once the parse is
 * done and the shell has been quiet for QUIET_MS after a request: tslab creates the converter before it
 * opens its sockets, and a build then, or while a client is still greeting the kernel, would delay the
 * kernel_info_reply. A request arriving later waits at most for the warm-up's current step; a cell
 * arriving first does the remaining work itself, with the files already parsed.
 * D2L_KERNEL_PREPARSE=0 leaves the parse to the build (to compare the two side by side).
 * @param {Warmable} converter
 */
function scheduleWarm(converter) {
  const shell = require('./shell');
  let started = false;
  let parsed = false;
  let quiet = false;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const start = () => {
    started = true;
    converter.warm();
  };
  // Not before the first request: tslab is opening its sockets, a client is about to greet it.
  const wait = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      quiet = true;
      if (parsed) start();
    }, QUIET_MS);
  };

  shell.intercept(() => {
    if (started) return undefined;
    // The first request (kernel_info) is answered first; the parse starts right after, in slices.
    if (timer === undefined && !quiet && process.env.D2L_KERNEL_PREPARSE !== '0')
      setImmediate(() =>
        converter.preparse(() => {
          parsed = true;
          if (quiet) start();
        }),
      );
    else if (process.env.D2L_KERNEL_PREPARSE === '0') parsed = true;
    wait();
    return undefined;
  });
}

module.exports = { needs, install, converterFactory };
