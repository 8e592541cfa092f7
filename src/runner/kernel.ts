/**
 * A Jupyter kernel as a child process, driven over ZeroMQ: connection file, sockets, one reader loop per
 * socket, execute requests, interrupts (SIGINT, as tslab expects), shutdown and kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { decode, encode, executeContent, request, type JsonObject, type Message } from './wire';

const LOOPBACK = '127.0.0.1';
/**
 * How long the runner waits, after a cell's execute_reply, for the next of its outputs or its `idle`
 * status. Outputs may trail the reply (large ones do); a missing `idle` means iopub dropped messages.
 */
const OUTPUT_WAIT_MS = 10_000;
/** What the kernel printed outside of cells, kept for error reports. */
const LOG_CHARS = 8192;
const CHANNELS = ['shell', 'iopub', 'stdin', 'control', 'hb'] as const;
/**
 * Preloads for Node kernels: kill the kernel when this process dies, even by SIGKILL (tslab has no
 * parent watchdog); lift its iopub high-water mark so that no output is dropped.
 */
const PRELOADS = ['exit-with-parent.js', 'lossless-iopub.js'].map((file) =>
  path.join(__dirname, '..', 'kernel', file),
);

/** Free TCP ports on loopback, as jupyter_client picks them (bind to port 0, read, release). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, LOOPBACK, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type ReplyStatus = 'ok' | 'error' | 'abort';

export interface ExecuteOutcome {
  /** `timeout`: interrupted after the time limit; `died`: the kernel exited before replying. */
  status: ReplyStatus | 'timeout' | 'died' | 'cancelled';
  executionCount: number | null;
  /** For `timeout`: whether the kernel had to be killed because SIGINT did not stop the cell. */
  killed: boolean;
  exit?: ExitInfo;
  /** Set when some of the cell's iopub messages may have been lost (its `idle` status never came). */
  lost?: string;
}

export interface ExecuteOptions {
  /** Per-cell limit in ms (0 or Infinity: none). */
  timeoutMs?: number;
  /** How long to wait after SIGINT before killing the kernel. */
  interruptGraceMs?: number;
  /** How long trailing outputs may keep the runner waiting for `idle` after the reply (default 10 s). */
  outputWaitMs?: number;
  /** Receives every iopub message whose parent is this request, in order. */
  onIopub: (message: Message) => void;
  signal?: AbortSignal;
}

export interface StartOptions {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Time to wait for the kernel to answer kernel_info_request. */
  startTimeoutMs?: number;
  /** Aborting gives up waiting for the kernel (and kills it). */
  signal?: AbortSignal;
  /** Written into the connection file (Jupyter's `kernel_name`). */
  kernelName?: string;
  /**
   * Files the kernel's watchdog (exit-with-parent.js) removes if this process dies without doing it:
   * temporary files, and lock files that still name this process.
   */
  orphanCleanup?: { files?: string[]; locks?: string[] };
}

interface Pending {
  onShell: (message: Message) => void;
  onIopub: (message: Message) => void;
}

export class KernelClient {
  readonly session = randomUUID();
  readonly exited: Promise<ExitInfo>;
  /** kernel_info_reply content (language_info and so on). */
  info: JsonObject = {};
  private exit: ExitInfo | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  // No receive high-water mark: ZeroMQ's I/O thread drains the kernel's publisher into this process at
  // once, so the kernel never drops outputs because this process was busy (the default is 1000).
  private readonly iopub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  private readonly output: string[] = [];
  private outputChars = 0;
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly key: string,
    private readonly connectionDir: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.once('error', (error) => {
        this.output.push(String(error));
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString('utf8').slice(-LOG_CHARS);
      this.output.push(text);
      this.outputChars += text.length;
      while (this.outputChars - this.output[0].length >= LOG_CHARS)
        this.outputChars -= this.output.shift()!.length;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts a kernel from a kernelspec argv (`{connection_file}` is substituted) and waits until ready. */
  static async start(options: StartOptions): Promise<KernelClient> {
    const connectionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-kernel-'));
    const connectionFile = path.join(connectionDir, 'kernel.json');
    const ports = await freePorts(CHANNELS.length);
    const key = randomBytes(32).toString('hex');
    const connection: JsonObject = {
      ip: LOOPBACK,
      transport: 'tcp',
      signature_scheme: 'hmac-sha256',
      key,
      kernel_name: options.kernelName ?? 'd2l-ts',
    };
    CHANNELS.forEach((channel, i) => (connection[`${channel}_port`] = ports[i]));
    fs.writeFileSync(connectionFile, JSON.stringify(connection), { mode: 0o600, flag: 'wx' });
    if (options.orphanCleanup) {
      fs.writeFileSync(path.join(connectionDir, 'cleanup.json'), JSON.stringify(options.orphanCleanup));
    }

    const [command, ...args] = options.argv.map((arg) => arg.replace('{connection_file}', connectionFile));
    const nodeArgs = command === process.execPath ? PRELOADS.flatMap((file) => ['--require', file]) : [];
    // Own process group: a terminal Ctrl-C reaches the runner only, which then stops the kernel itself.
    const child = spawn(command, [...nodeArgs, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const kernel = new KernelClient(child, key, connectionDir);
    const url = (channel: (typeof CHANNELS)[number]): string =>
      `tcp://${LOOPBACK}:${connection[`${channel}_port`]}`;
    kernel.shell.connect(url('shell'));
    kernel.control.connect(url('control'));
    kernel.iopub.connect(url('iopub'));
    kernel.iopub.subscribe();
    kernel.readLoop(kernel.shell, (message) => kernel.dispatch(message, 'onShell'));
    kernel.readLoop(kernel.control, (message) => kernel.dispatch(message, 'onShell'));
    kernel.readLoop(kernel.iopub, (message) => kernel.dispatch(message, 'onIopub'));
    try {
      await kernel.waitForReady(options.startTimeoutMs ?? 60_000, options.signal);
    } catch (error) {
      await kernel.kill();
      throw error;
    }
    return kernel;
  }

  /** What the kernel printed outside of cells (start-up failures, crashes), last 8 kB. */
  get log(): string {
    return this.output.join('');
  }

  get alive(): boolean {
    return this.exit === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private async readLoop(socket: zmq.Dealer | zmq.Subscriber, handle: (message: Message) => void) {
    try {
      for await (const frames of socket) {
        let message: Message;
        try {
          message = decode(frames, this.key);
        } catch {
          continue; // not for us or forged: ignore, as Jupyter clients do
        }
        trace('<<', message);
        handle(message);
      }
    } catch (error) {
      if (!this.closed) this.output.push(`socket error: ${String(error)}\n`);
    }
  }

  private dispatch(message: Message, kind: keyof Pending): void {
    const parent = message.parent_header.msg_id;
    if (parent) this.pending.get(parent)?.[kind](message);
  }

  private async send(socket: zmq.Dealer, message: Message, pending: Pending): Promise<void> {
    this.pending.set(message.header.msg_id, pending);
    trace('>>', message);
    await socket.send(encode(message, this.key));
  }

  /**
   * Sends kernel_info_request until the kernel replies on shell AND its status reaches us on iopub:
   * only then is the subscription live, so no output of the first cell can be lost.
   */
  private async waitForReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let replied = false;
    let subscribed = false;
    const sent: string[] = [];
    let wake = (): void => {};
    let onAbort = (): void => {};
    const aborted = new Promise<void>((resolve) => (onAbort = resolve));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (!(replied && subscribed)) {
        if (!this.alive) {
          throw new Error(`kernel exited during start-up (${describeExit(this.exit)})\n${this.log}`);
        }
        if (signal?.aborted) throw new Error('cancelled while the kernel was starting');
        if (Date.now() > deadline) {
          throw new Error(`kernel did not answer within ${timeoutMs / 1000} s\n${this.log}`);
        }
        const message = request(this.session, 'kernel_info_request', {});
        sent.push(message.header.msg_id);
        const answered = new Promise<void>((resolve) => (wake = resolve));
        await this.send(this.shell, message, {
          onShell: (reply) => {
            replied = true;
            this.info = reply.content;
            wake();
          },
          onIopub: () => {
            subscribed = true;
            wake();
          },
        });
        // Until the first reply a request waits in the socket queue; afterwards only iopub needs a nudge.
        if (!(replied && subscribed)) await waitAny(replied ? 100 : 1000, this.exited, answered, aborted);
      }
    } finally {
      for (const id of sent) this.pending.delete(id);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs one cell. Resolves after the execute_reply and the matching iopub `idle` (so every output has
   * arrived), or when the kernel dies, times out or the signal aborts. Never rejects for kernel trouble.
   */
  async execute(code: string, options: ExecuteOptions): Promise<ExecuteOutcome> {
    if (!this.alive) return { status: 'died', executionCount: null, killed: false, exit: this.exit! };
    const message = request(this.session, 'execute_request', executeContent(code));
    let reply: Message | null = null;
    let idle = false;
    let lastIopub = 0;
    let replyAt = 0;
    let wake = (): void => {};
    const changed = (): Promise<void> => new Promise((resolve) => (wake = resolve));
    let next = changed();
    await this.send(this.shell, message, {
      onShell: (m) => {
        if (m.header.msg_type === 'execute_reply') {
          reply = m;
          replyAt = Date.now();
        }
        wake();
      },
      onIopub: (m) => {
        lastIopub = Date.now();
        if (m.header.msg_type === 'status') {
          if (m.content.execution_state === 'idle') idle = true;
        } else {
          options.onIopub(m);
        }
        wake();
      },
    });
    const timeoutMs = options.timeoutMs && Number.isFinite(options.timeoutMs) ? options.timeoutMs : 0;
    const grace = options.interruptGraceMs ?? 5000;
    const outputWait = options.outputWaitMs ?? OUTPUT_WAIT_MS;
    const started = Date.now();
    let interruptedAt = 0;
    let lost: string | undefined;
    let onAbort = (): void => {};
    const aborted = new Promise<void>((resolve) => (onAbort = resolve));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const now = Date.now();
        // Outputs may reach iopub after the reply on shell (large ones do): the cell is done at `idle`.
        // Waiting goes on while its outputs keep coming; silence without `idle` means lost messages.
        const quietSince = reply !== null ? Math.max(lastIopub, replyAt) : 0;
        if (reply !== null && (idle || now - quietSince > outputWait)) {
          if (!idle) {
            lost =
              `the kernel's idle status for this cell never arrived (${outputWait / 1000} s ` +
              'after its last message): iopub dropped messages, so outputs may be missing';
          }
          break;
        }
        if (options.signal?.aborted) return { status: 'cancelled', executionCount: null, killed: false };
        if (!this.alive) {
          await delay(100); // let outputs already on the wire arrive
          const status = interruptedAt ? 'timeout' : 'died'; // a timed-out cell whose interrupt was fatal
          return { status, executionCount: null, killed: interruptedAt > 0, exit: this.exit! };
        }
        if (timeoutMs && !reply && !interruptedAt && now - started >= timeoutMs) {
          interruptedAt = now;
          this.interrupt();
        }
        if (interruptedAt && now - interruptedAt >= grace) {
          await this.kill();
          return { status: 'timeout', executionCount: null, killed: true, exit: this.exit ?? undefined };
        }
        const deadlines = [
          interruptedAt ? interruptedAt + grace : timeoutMs && !reply ? started + timeoutMs : Infinity,
          reply ? quietSince + outputWait + 1 : Infinity,
        ];
        const wait = Math.min(...deadlines, now + 60_000) - now;
        await waitAny(Math.max(1, wait), next, this.exited, aborted);
        next = changed();
      }
    } finally {
      this.pending.delete(message.header.msg_id);
      options.signal?.removeEventListener('abort', onAbort);
    }
    const content = (reply as Message | null)!.content;
    const count = typeof content.execution_count === 'number' ? content.execution_count : null;
    if (interruptedAt) return { status: 'timeout', executionCount: count, killed: false, lost };
    // tslab says 'abort'; ipykernel (and the d2l-ts preload) 'aborted'.
    const wasAborted = content.status === 'abort' || content.status === 'aborted';
    const status = content.status === 'ok' ? 'ok' : wasAborted ? 'abort' : 'error';
    return { status, executionCount: count, killed: false, lost };
  }

  /** Interrupts the running cell (tslab handles SIGINT; it ignores interrupt_request). */
  interrupt(): void {
    if (this.alive && this.child.pid) process.kill(this.child.pid, 'SIGINT');
  }

  /** Asks the kernel to shut down over the control channel; kills it if it has not exited in time. */
  async shutdown(graceMs = 1000): Promise<void> {
    if (this.alive) {
      const message = request(this.session, 'shutdown_request', { restart: false });
      await this.send(this.control, message, { onShell: () => {}, onIopub: () => {} }).catch(() => {});
      await waitAny(graceMs, this.exited);
    }
    await this.kill();
  }

  /** Kills the kernel's process group at once and releases sockets and the connection file. */
  async kill(): Promise<void> {
    if (this.alive && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
      await waitAny(2000, this.exited);
    }
    this.close();
  }

  /** Synchronous last resort for process exit handlers. */
  killNow(): void {
    if (this.alive && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.iopub]) socket.close();
    // A process the kernel started may hold these pipes open after the kernel is gone.
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) stream?.destroy();
    fs.rmSync(this.connectionDir, { recursive: true, force: true });
  }
}

export function describeExit(exit: ExitInfo | null | undefined): string {
  if (!exit) return 'unknown exit';
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code}`;
}

/** D2L_RUNNER_TRACE=1 logs every message sent (>>) and received (<<) on stderr. */
function trace(direction: '>>' | '<<', message: Message): void {
  if (process.env.D2L_RUNNER_TRACE !== '1') return;
  const content = JSON.stringify(message.content);
  const parent = message.parent_header.msg_id?.slice(0, 8) ?? '-';
  console.error(
    `${direction} ${message.header.msg_type} ${message.header.msg_id.slice(0, 8)} parent ${parent}`,
    content.length > 100 ? `${content.slice(0, 100)}… (${content.length} chars)` : content,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for the first of `promises` or `ms`, without leaving a timer behind. */
async function waitAny(ms: number, ...promises: Promise<unknown>[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([...promises, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
