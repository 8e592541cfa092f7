// @ts-check
// Patch: comm_info_request answered with a comm_info_reply. tslab 1.0.22's
// ZmqServer.handleCommInfoRequest (dist/jupyter.js) labels its answer `complete_reply`, which a front
// end does not take for the answer (JupyterLab sends this request when it connects). tslab has no
// comms, so the answer lists none. Answered through shell.js, so it needs nothing more of tslab.
'use strict';
const shell = require('./shell');

/** @type {string[]} */
const needs = [];

function install() {
  shell.intercept((request) =>
    request.header.msg_type === 'comm_info_request'
      ? { msgType: 'comm_info_reply', content: { status: 'ok', comms: {} } }
      : undefined,
  );
}

module.exports = { needs, install };
