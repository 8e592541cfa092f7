// @ts-check
// Patch: kernel_info and history, as a TypeScript kernel should answer them.
// Replaces tslab 1.0.22's JupyterHandlerImpl.handleKernel (dist/jupyter.js), whose language_info names
// TypeScript 3.7.2 (not the TypeScript that checks cells) and gives `codemirror_mode` the name
// `javascript`, by which JupyterLab picks the editor's language; and answers `history_request`, which
// tslab's ZmqServer.handleShellMessage logs as "unknown msg_type" and never answers (no history is kept,
// so the answer is an empty one).
'use strict';
const shell = require('./shell');

const needs = ['jupyter.JupyterHandlerImpl.prototype.handleKernel'];

/** @param {typeof import('./tslab')} tslab */
function install(tslab) {
  const typescriptVersion = tslab.require('@tslab/typescript-for-tslab/package.json').version;
  /** @type {import('./tslab').Handler} */
  const Handler = tslab.internal('jupyter.JupyterHandlerImpl.prototype');
  const handleKernel = Handler.handleKernel;
  Handler.handleKernel = function () {
    const reply = handleKernel.call(this);
    const language = /** @type {{ name?: unknown }} */ (reply.language_info);
    if (language.name !== 'typescript') return reply; // the jslab kernel: leave it as it is
    return {
      ...reply,
      implementation_version: tslab.version,
      language_info: {
        name: 'typescript',
        version: typescriptVersion,
        mimetype: 'text/typescript',
        file_extension: '.ts',
        codemirror_mode: { name: 'typescript', typescript: true },
        pygments_lexer: 'typescript',
      },
    };
  };

  shell.intercept((request) =>
    request.header.msg_type === 'history_request'
      ? { msgType: 'history_reply', content: { status: 'ok', history: [] } }
      : undefined,
  );
}

module.exports = { needs, install };
