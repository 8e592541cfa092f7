// Preloaded into the tslab kernel by the d2l-ts kernelspec (node --require), for Jupyter and the runner
// alike. It makes tslab 1.0 behave like a first-class Jupyter kernel without forking it:
// 1. Queued ZeroMQ sends. tslab sends without waiting for the previous send, and zeromq 6 rejects a
//    send while another is in flight ("Socket is busy writing"); under load that kills the kernel.
// 2. Errors as Jupyter errors. tslab prints a failing cell's error on stderr only; here the executor's
//    error output is captured and sent as an `error` message on iopub and in the execute_reply (ename,
//    evalue, a traceback from the user's cell, without Node's vm or tslab frames).
// 3. Nothing dropped silently. tslab aborts every request arriving within 200 ms of an error or an
//    interrupt; here only requests already queued behind the failing cell are aborted, as ipykernel does.
// 4. execute_input (so front ends and nbclient record execution counts), history_request answered with
//    an empty history, and a complete language_info.
// 6. A post-execute hook, as IPython's `post_execute` event (which matplotlib uses to draw a cell's
//    figures when it ends): the functions in the set at `Symbol.for('d2l-ts.postExecute')` run once
//    when the running cell ends, before its execute_reply, so that what they send belongs to the cell
//    (d2l.Animator draws its final figure there).
// 5. TensorFlow's start-up log (absl, oneDNN, CPU features) kept off the kernel's stderr, which Jupyter
//    shows in the server's terminal, for notebooks that import @tensorflow/tfjs-node without d2l (d2l
//    sets the same defaults); a user who sets these variables keeps theirs.
// It patches tslab's internals (dist/jupyter.js, dist/executor.js); `missing` lists what it could not
// find, and test/kernel-preload.test.ts fails when that list is not empty. Plain JavaScript because the
// kernel runs without tsx.
/* global Buffer, process, console */
'use strict';
const { createHmac, randomBytes } = require('node:crypto');
const path = require('node:path');
const util = require('node:util');
const vm = require('node:vm');

// ---- 5. TensorFlow's log (read by libtensorflow when tfjs-node loads) -------------------------------
process.env.TF_CPP_MIN_LOG_LEVEL ||= '1';
process.env.TF_ENABLE_ONEDNN_OPTS ||= '0';

// The tslab copy the kernel runs: tslab switches to a node_modules/tslab found from the working
// directory (the notebook's folder), else this project's.
const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [process.cwd(), __dirname] }));
const fromTslab = (id) => require(require.resolve(id, { paths: [tslabDir] }));

// ---- 1. queued sends -------------------------------------------------------------------------------
const zmq = fromTslab('zeromq');

/** Each socket's last send, settled either way; absent while the socket has no send in flight. */
const tails = new WeakMap();

for (const Socket of [zmq.Publisher, zmq.Router, zmq.Reply, zmq.Dealer]) {
  const send = Socket.prototype.send;
  Object.defineProperty(Socket.prototype, 'send', {
    configurable: true,
    writable: true,
    value: function queuedSend(message) {
      const tail = tails.get(this);
      // A free socket sends at once, as tslab expects (a status sent before a long synchronous cell must
      // leave before the cell blocks the event loop); a busy one queues behind its last send, in order.
      const sent = tail === undefined ? send.call(this, message) : tail.then(() => send.call(this, message));
      const settled = sent.then(
        () => undefined,
        () => undefined,
      );
      tails.set(this, settled);
      settled.then(() => {
        if (tails.get(this) === settled) tails.delete(this);
      });
      return sent;
    },
  });
}

// ---- tslab's internals, checked ----------------------------------------------------------------------
const load = (file) => {
  try {
    return require(path.join(tslabDir, 'dist', file));
  } catch {
    return {};
  }
};
const jupyter = load('jupyter.js');
const executorModule = load('executor.js');
const tslabUtil = load('util.js');
const Handler = jupyter.JupyterHandlerImpl && jupyter.JupyterHandlerImpl.prototype;
const Server = jupyter.ZmqServer && jupyter.ZmqServer.prototype;
const expected = {
  'executor.createExecutor': typeof executorModule.createExecutor === 'function',
  'util.TaskCanceledError': typeof tslabUtil.TaskCanceledError === 'function',
  'JupyterHandlerImpl.handleExecute': typeof Handler?.handleExecute === 'function',
  'JupyterHandlerImpl.handleExecuteImpl': typeof Handler?.handleExecuteImpl === 'function',
  'JupyterHandlerImpl.handleKernel': typeof Handler?.handleKernel === 'function',
  'ZmqServer.handleExecute': typeof Server?.handleExecute === 'function',
  'ZmqServer.handleShellMessage': typeof Server?.handleShellMessage === 'function',
};
/** tslab internals this file hooks but did not find (a tslab upgrade changed them): then it hooks none. */
const missing = Object.keys(expected).filter((name) => !expected[name]);
module.exports = { missing, tslabDir };

if (missing.length > 0) {
  process.emitWarning(
    `d2l-ts kernel preload: tslab ${fromTslab('./package.json').version} lacks ${missing.join(', ')}; ` +
      'errors stay stderr text and tslab aborts requests after an error',
  );
} else {
  hookTslab();
}

function hookTslab() {
  const { TaskCanceledError } = tslabUtil;
  const DELIM = Buffer.from('<IDS|MSG>');

  // ---- 2. what a failing cell reports --------------------------------------------------------------
  /** The code of every cell run so far, by the file name its script was given: for tracebacks. */
  const cells = new Map();
  /** The cell now running: its execution count and what the executor reported. */
  let running = null;

  // Deep enough to reach the cell from inside TensorFlow.js (Node's default keeps 10 frames).
  if (Error.stackTraceLimit === 10) Error.stackTraceLimit = 50;

  // Each cell's script gets its own file name, `In[3]`, so its stack frames say which cell they are in.
  const runInThisContext = vm.runInThisContext;
  vm.runInThisContext = function (code, options) {
    const isCell =
      running && typeof code === 'string' && /^\((async )?function\(exports, require\) \{ /.test(code);
    if (!isCell || (options && typeof options === 'object' && options.filename)) {
      return runInThisContext.apply(this, arguments);
    }
    const filename = `In[${running.count}]`;
    cells.set(filename, { js: code.split('\n'), ts: running.source.split('\n') });
    // Frames from cells older than this lose their line numbers, not their cell.
    if (cells.size > 1000) cells.delete(cells.keys().next().value);
    return runInThisContext.call(this, code, { ...options, filename });
  };

  const createExecutor = executorModule.createExecutor;
  executorModule.createExecutor = function (rootDir, convs, logger) {
    const error = (...args) => {
      if (!running) return logger.error(...args);
      // tslab's two error reports: one call per TypeScript diagnostic, or the thrown value alone.
      if (args[0] === '%s%d:%d - %s' && args.length === 5) running.diagnostics.push(args.slice(1));
      else if (args.length === 1) running.thrown.push(args[0]);
      else logger.error(...args);
    };
    const executor = createExecutor.call(this, rootDir, convs, { log: logger.log, error });
    const execute = executor.execute;
    executor.execute = async (source) => {
      const cell = running;
      const ok = await execute(source);
      // Diagnostics of an `//@module` cell do not fail it: tslab prints them, and so do we.
      if (ok && cell) for (const diagnostic of cell.diagnostics) logger.error('%s%d:%d - %s', ...diagnostic);
      return ok;
    };
    return executor;
  };

  /** ename, evalue and traceback of the failed cell, as ipykernel would send them. */
  function jupyterError(cell) {
    if (cell.diagnostics.length > 0) {
      const lines = cell.source.split('\n');
      const traceback = cell.diagnostics.flatMap(([file, line, column, message]) => {
        const text = String(message);
        if (file) return [`${file} ${line}:${column} - ${text}`];
        const code = lines[line - 1] ?? '';
        return [`${line}:${column} - ${text}`, `    ${code}`, `    ${' '.repeat(Math.max(0, column - 1))}^`];
      });
      const more = cell.diagnostics.length - 1;
      const first = String(cell.diagnostics[0][3]);
      return { ename: 'CompileError', evalue: more > 0 ? `${first} (and ${more} more)` : first, traceback };
    }
    if (cell.thrown.length === 0) {
      return { ename: 'Error', evalue: 'the cell failed without an error value', traceback: [] };
    }
    return thrownError(cell.thrown[cell.thrown.length - 1], cell.count);
  }

  /** The interrupt errors of tslab's executor (an awaited cell) and of Node's vm (a running script). */
  const isInterrupt = (value) =>
    value instanceof Error &&
    (value.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED' || value.message === 'Interrupted asynchronously');

  function thrownError(value, count) {
    if (isInterrupt(value)) {
      const what = value.code ? 'while it ran' : 'while it awaited';
      const evalue = `the cell was interrupted ${what}`;
      return { ename: 'Interrupted', evalue, traceback: [`Interrupted: ${evalue}`] };
    }
    if (!(value instanceof Error)) {
      const evalue = util.inspect(value);
      return { ename: 'Error', evalue, traceback: [`Uncaught ${evalue}`] };
    }
    const ename = value.name || value.constructor?.name || 'Error';
    const evalue = String(value.message);
    const stack = typeof value.stack === 'string' ? value.stack.split('\n') : [`${ename}: ${evalue}`];
    const at = stack.findIndex((line) => /^\s+at /.test(line));
    let head = at < 0 ? stack : stack.slice(0, at);
    // Node puts the throwing line first (`In[1]:29` or a file's, the code, a caret, a blank line).
    const blank = head.indexOf('');
    if (/^\S+:\d+$/.test(head[0] ?? '') && blank > 0) head = head.slice(blank + 1);
    return { ename, evalue, traceback: [...head, ...userFrames(at < 0 ? [] : stack.slice(at), count)] };
  }

  /**
   * The frames from the innermost call down to the cell's own top level, without what runs the cell
   * (node:vm, tslab); a cell's `In[n]:line:column` (lines of the compiled JavaScript) becomes
   * `Cell In[n], line k` when that JavaScript line appears once in the cell as written.
   */
  function userFrames(frames, count) {
    const own = `(In[${count}]:`;
    let last = -1;
    frames.forEach((line, i) => {
      if (line.includes(own) || line.includes(` In[${count}]:`)) last = i;
    });
    const isWrapper = (line) => {
      // The last line of a cell's script is tslab's call of the function that wraps the cell.
      const frame = /(In\[\d+\]):(\d+):\d+/.exec(line);
      return frame !== null && Number(frame[2]) === cells.get(frame[1])?.js.length;
    };
    const kept = (last < 0 ? frames : frames.slice(0, last + 1)).filter(
      (line) =>
        !/\(node:|at node:/.test(line) && !line.includes(path.join(tslabDir, 'dist')) && !isWrapper(line),
    );
    // tslab stores a cell's last expression in `exports.tsLastExpr` and reaches earlier cells'
    // declarations as `(0, exports.f)` on a Proxy; statements otherwise read the same.
    const normal = (code) =>
      code
        .trim()
        .replace(/^exports\.\w+ = /, '')
        .replace(/\(0, exports\.([\w$]+)\)/g, '$1')
        .replace(/\bexports\.([\w$]+)/g, '$1')
        .replace(/;$/, '');
    return kept.map((line) =>
      line.replace(/^(\s+at )Proxy\./, '$1').replace(/(In\[\d+\]):(\d+):\d+/, (whole, file, jsLine) => {
        const cell = cells.get(file);
        const code = normal(cell?.js[Number(jsLine) - 1] ?? '');
        const matches = code ? cell.ts.flatMap((ts, i) => (normal(ts) === code ? [i + 1] : [])) : [];
        return matches.length === 1 ? `Cell ${file}, line ${matches[0]}` : `Cell ${file}`;
      }),
    );
  }

  // ---- 6. post_execute ----------------------------------------------------------------------------
  const postExecuteHooks = new Set();
  globalThis[Symbol.for('d2l-ts.postExecute')] = postExecuteHooks;
  function postExecute() {
    const hooks = [...postExecuteHooks];
    postExecuteHooks.clear();
    for (const hook of hooks) {
      try {
        hook();
      } catch (e) {
        console.error('post_execute hook failed:', e);
      }
    }
  }

  // ---- 3. the execute queue ------------------------------------------------------------------------
  /** The kernel's shell socket, known from the first message. */
  let shell = null;
  /**
   * Whether requests that reached the shell socket before the last failure are still unread. They are
   * aborted as they are read (ipykernel aborts what is waiting when a cell fails), until the socket has
   * no more waiting: the next request runs.
   */
  let backlog = false;

  /**
   * Replaces tslab's handleExecute: the same queue, but after a failure only the requests already in
   * it are aborted (tslab's queue cancels them), then it takes requests again at once (tslab waits
   * 200 ms, dropping whatever comes). `onStart(count)` is called when the cell starts, for execute_input.
   */
  Handler.handleExecute = async function (request, writeStream, writeDisplayData, onStart) {
    const source = String(request.code ?? '');
    let cell = null;
    try {
      const count = await this.execQueue.add(() => {
        cell = running = { count: this.execCount + 1, source, diagnostics: [], thrown: [] };
        onStart?.(cell.count);
        return this.handleExecuteImpl(request, writeStream, writeDisplayData).finally(postExecute);
      });
      return { status: 'ok', execution_count: count.count, user_expressions: {}, payload: [] };
    } catch (e) {
      if (e instanceof TaskCanceledError) return { status: 'aborted' };
      // handleExecuteImpl throws the execution count itself when the executor reports a failure.
      const counted =
        e !== null && typeof e === 'object' && typeof e.count === 'number' && !(e instanceof Error);
      const error = counted && cell ? jupyterError(cell) : thrownError(e, cell?.count);
      // Asking the socket (ZMQ_EVENTS) is enough: the reply sent next wakes the reader for the backlog.
      backlog = Boolean(shell?.readable);
      this.execQueue.reset();
      return { status: 'error', execution_count: counted ? e.count : null, ...error };
    } finally {
      if (running === cell) running = null;
    }
  };

  /** Replaces tslab's handleExecute on the server side: execute_input, and the error on iopub. */
  Server.handleExecute = async function (sock, msg) {
    const send = (socket, msgType, content) => {
      const message = msg.createReply();
      message.header.msg_type = msgType;
      message.content = content;
      message.signAndSend(this.connInfo.key, socket);
    };
    const code = msg.content.code;
    const content = await this.handler.handleExecute(
      msg.content,
      (name, text) => send(this.iopub, 'stream', { name, text }),
      (data, update) => send(this.iopub, update ? 'update_display_data' : 'display_data', data),
      (count) => send(this.iopub, 'execute_input', { code, execution_count: count }),
    );
    if (content.status === 'error') {
      const { ename, evalue, traceback } = content;
      send(this.iopub, 'error', { ename, evalue, traceback });
    }
    send(sock, 'execute_reply', content);
  };

  // ---- 4. kernel_info and history -------------------------------------------------------------------
  const typescriptVersion = fromTslab('@tslab/typescript-for-tslab/package.json').version;
  const handleKernel = Handler.handleKernel;
  Handler.handleKernel = function (...args) {
    const reply = handleKernel.apply(this, args);
    if (reply.language_info.name !== 'typescript') return reply; // the jslab kernel: leave it as it is
    // JupyterLab picks the editor's language by codemirror_mode's name (tslab's says javascript).
    reply.language_info = {
      name: 'typescript',
      version: typescriptVersion,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      codemirror_mode: { name: 'typescript', typescript: true },
      pygments_lexer: 'typescript',
    };
    reply.implementation_version = fromTslab('./package.json').version;
    return reply;
  };

  /** Signs and sends one message answering `parent` (tslab's own reply class is not exported). */
  function reply(server, socket, identities, parent, msgType, content) {
    const header = {
      msg_id: randomBytes(16).toString('hex'),
      msg_type: msgType,
      session: parent.session,
      username: parent.username,
      date: new Date().toISOString(),
      version: '5.3',
    };
    const parts = [header, parent, {}, content].map((part) => JSON.stringify(part));
    const hmac = createHmac('sha256', server.connInfo.key);
    for (const part of parts) hmac.update(part);
    socket.send([...identities, DELIM, hmac.digest('hex'), ...parts]);
  }

  /** The frames' header when they are a message signed with the connection's key, else null. */
  function verifiedHeader(server, frames) {
    const at = frames.findIndex((frame) => Buffer.isBuffer(frame) && frame.equals(DELIM));
    if (at < 0 || frames.length < at + 6) return null;
    const hmac = createHmac('sha256', server.connInfo.key);
    for (const part of frames.slice(at + 2, at + 6)) hmac.update(part);
    if (hmac.digest('hex') !== frames[at + 1].toString()) return null;
    try {
      return { header: JSON.parse(frames[at + 2].toString()), identities: frames.slice(0, at) };
    } catch {
      return null;
    }
  }

  const handleShellMessage = Server.handleShellMessage;
  Server.handleShellMessage = async function (sock, ...frames) {
    if (sock !== this.shell) return handleShellMessage.call(this, sock, ...frames);
    shell = sock;
    const waitedThroughFailure = backlog;
    if (backlog) backlog = sock.readable;
    const message = verifiedHeader(this, frames);
    const type = message?.header.msg_type;
    const answer = (msgType, content) => {
      reply(this, this.iopub, [], message.header, 'status', { execution_state: 'busy' });
      reply(this, sock, message.identities, message.header, msgType, content);
      reply(this, this.iopub, [], message.header, 'status', { execution_state: 'idle' });
    };
    if (type === 'execute_request' && waitedThroughFailure)
      return answer('execute_reply', { status: 'aborted' });
    // No history is kept, so the answer is an empty one (tslab logs "unknown msg_type").
    if (type === 'history_request') return answer('history_reply', { status: 'ok', history: [] });
    return handleShellMessage.call(this, sock, ...frames);
  };
}
