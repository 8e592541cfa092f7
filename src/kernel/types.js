// @ts-check
// Patch: type-load the @types packages a project names, not every one npm installed.
// tslab 1.0.22's converter.createConverter (dist/converter.js) compiles cells with hard-coded options
// that set no `types`, so TypeScript loads every package under each node_modules/@types from the
// notebook's folder up: in this project the 22 that npm hoisted for jest, babel and the like, which
// made a kernel start more than a second slower inside the project than outside it. Here TypeScript
// sees only a list, found as tsc would: the `compilerOptions.types` of the nearest tsconfig.json from
// the notebook's folder up, when it sets them (its `extends` is not followed); otherwise `node` and
// every @types package named in a package.json from the notebook's folder up. A package a cell
// imports gets its types by module resolution whether listed or not; the list only matters for
// global declarations. notebooks/tsconfig.json lists only `node`: without it, @types/jest (which the
// root package.json names for the tests) would bring jest's globals (`describe` would type-check in a
// lesson) and babel's, yargs'… types into every notebook's program (4 MB of its heap, measured).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const needs = ['converter.createConverter'];

/**
 * The @types packages (without the `@types/` prefix) to type-load for a notebook in `dir`.
 * @param {string} dir
 * @returns {string[]}
 */
function projectTypes(dir) {
  return tsconfigTypes(dir) ?? packageTypes(dir);
}

/**
 * The `compilerOptions.types` of the nearest tsconfig.json in `dir` or above, if it sets them: the
 * list tsc would load for a file there.
 * @param {string} dir
 * @returns {string[] | undefined}
 */
function tsconfigTypes(dir) {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const file = path.join(at, 'tsconfig.json');
    if (fs.existsSync(file)) {
      // tsconfig.json is JSON with comments and trailing commas: read by TypeScript's own parser.
      /** @type {{ parseConfigFileTextToJson: (file: string, text: string) => { config?: any } }} */
      const ts = require('./tslab').require('@tslab/typescript-for-tslab');
      const types = ts.parseConfigFileTextToJson(file, fs.readFileSync(file, 'utf8')).config?.compilerOptions
        ?.types;
      return Array.isArray(types) ? types.filter((name) => typeof name === 'string') : undefined;
    }
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * `node` and the @types packages (without the `@types/` prefix) named in the dependencies of each
 * package.json in `dir` and the folders above it.
 * @param {string} dir
 * @returns {string[]}
 */
function packageTypes(dir) {
  const names = new Set(['node']);
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    /** @type {{ [field: string]: unknown }} */
    let manifest = {};
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(at, 'package.json'), 'utf8'));
    } catch {
      // no package.json here, or not one we can read
    }
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const dependencies = manifest[field];
      if (dependencies === null || typeof dependencies !== 'object') continue;
      for (const name of Object.keys(dependencies)) {
        if (name.startsWith('@types/')) names.add(name.slice('@types/'.length));
      }
    }
    if (path.dirname(at) === at) return [...names];
  }
}

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  // TypeScript lists a type root's folders to find the packages it loads when `types` is unset; the
  // options object cannot be reached (tslab builds it inline, and TypeScript 5's exports are getters),
  // so the listing of each node_modules/@types is what is narrowed, in the `sys` tslab's own inherits.
  // Module resolution looks files up by name, so an imported package keeps its types.
  /** @type {{ getDirectories: (dir: string) => string[] }} */
  const sys = tslab.require('@tslab/typescript-for-tslab').sys;
  const getDirectories = sys.getDirectories;
  sys.getDirectories = function (dir) {
    const entries = getDirectories.call(this, dir);
    if (path.basename(dir) !== '@types' || path.basename(path.dirname(dir)) !== 'node_modules')
      return entries;
    const named = new Set(projectTypes(process.cwd()));
    return entries.filter((entry) => named.has(entry));
  };
}

module.exports = { needs, install, projectTypes };
