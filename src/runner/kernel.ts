/**
 * A Jupyter kernel as a child process, driven over ZeroMQ the way nbclient drives one: each request is
 * an await with a deadline (the reply, then the `idle` status); a cell past its limit is interrupted
 * (SIGINT, as tslab expects), then killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import * as zmq from 'zeromq';
import { KERNEL_PRELOAD } from '../kernelspec';
import { DEFAULTS } from './defaults';
import { decode, encode, executeContent, request, type JsonObject, type Message } from './wire';

const LOOPBACK = '127.0.0.1';
/** What the kernel printed outside of cells, kept for error reports. */
const LOG_CHARS = 8192;
const CHANNELS = ['shell', 'iopub', 'stdin', 'control', 'hb'] as const;
/**
 * Every Node (tslab) kernel gets all of the project's preloads, whatever its kernelspec says: errors as
 * Jupyter errors and no dropped requests (KERNEL_PRELOAD), death with the runner even by SIGKILL, and
 * no output dropped by ZeroMQ. One definition of an error output and of an aborted request, then.
 */
const PRELOADS = [
  KERNEL_PRELOAD,
  ...['exit-with-parent.js', 'lossless-iopub.js'].map((file) => path.join(__dirname, '..', 'kernel', file)),
];

/** Free TCP ports on loopback, as jupyter_client picks them (bind to port 0, read, release). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer().listen(0, LOOPBACK));
  await Promise.all(servers.map((server) => once(server, 'listening')));
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => once(server.close(), 'close')));
  return ports;
}

/**
 * A kernelspec argv as this runner starts it: a tslab kernel (run by node, or the `tslab` command)
 * becomes `node --require PRELOAD... tslab-script ...`; any other kernel (python3) is left as it is.
 */
export function withPreloads(argv: readonly string[]): string[] {
  const [command, ...args] = argv;
  const isNode = command === process.execPath || path.basename(command) === 'node';
  const tslab = path.basename(command) === 'tslab' ? onPath(command) : null;
  if (!isNode && !tslab) return [...argv];
  // A kernel preload the argv requires already (this checkout's, or an older one's, as
  // bench/kernel-start.ts compares them) stays the only one.
  const hasPreload = args.some((arg) => /src[/\\](kernel[/\\]preload|kernel-preload)\.js$/.test(arg));
  const wanted = PRELOADS.filter((file) => !(file === KERNEL_PRELOAD ? hasPreload : args.includes(file)));
  const requires = wanted.flatMap((file) => ['--require', file]);
  return [isNode ? command : process.execPath, ...requires, ...(tslab ? [tslab] : []), ...args];
}

/** A command's script as found on PATH (symlinks followed), or null. */
function onPath(command: string): string | null {
  const dirs = command.includes('/') ? [''] : (process.env.PATH ?? '').split(path.delimiter);
  for (const dir of dirs) {
    try {
      return fs.realpathSync(path.join(dir, command));
    } catch {
      // next
    }
  }
  return null;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The header dates of a cell's messages, by nbclient's names for them (cell.metadata.execution). */
export type Timing = Partial<
  Record<'iopub.status.busy' | 'iopub.execute_input' | 'shell.execute_reply' | 'iopub.status.idle', string>
>;

export interface ExecuteOutcome {
  /** `timeout`: past the time limit; `died`: the kernel exited before replying; `abort`: not run. */
  status: 'ok' | 'error' | 'abort' | 'timeout' | 'died' | 'cancelled';
  executionCount: number | null;
  /** For `timeout`: whether the kernel had to be killed because SIGINT did not stop the cell. */
  killed: boolean;
  exit?: ExitInfo;
  /** Set when some of the cell's iopub messages may have been lost (its `idle` status never came). */
  lost?: string;
  timing: Timing;
}

/** A cell's limits, in seconds (DEFAULTS documents them and their defaults), and where its outputs go. */
export interface ExecuteOptions extends Partial<
  Pick<typeof DEFAULTS, 'timeout' | 'interruptGrace' | 'outputWait'>
> {
  /** Receives every iopub message of this request but its status, in order. */
  onIopub: (message: Message) => void;
  signal?: AbortSignal;
}

export interface StartOptions {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Seconds to wait for the kernel to answer kernel_info_request (DEFAULTS.startTimeout). */
  startTimeout?: number;
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

const TIMEOUT = Symbol('timeout');

/** Why a wait ended before its promise: the kernel exited, or the caller's signal aborted. */
class Stopped extends Error {
  constructor(readonly reason: 'died' | 'cancelled') {
    super(reason);
  }
}

export class KernelClient {
  readonly session = randomUUID();
  readonly exited: Promise<ExitInfo>;
  /** kernel_info_reply content (language_info and so on). */
  info: JsonObject = {};
  /** What the kernel printed outside of cells (start-up failures, crashes), last 8 kB. */
  log = '';
  private exit: ExitInfo | null = null;
  /** Rejects when the kernel exits: every wait races it. */
  private readonly died: Promise<never>;
  private readonly pending = new Map<string, Pending>();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  // No receive high-water mark: ZeroMQ's I/O thread drains the kernel's publisher into this process at
  // once, so the kernel never drops outputs because this process was busy (the default is 1000).
  private readonly iopub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly key: string,
    private readonly connectionDir: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.exit = { code, signal })));
      child.once('error', (error) => {
        this.log += String(error);
        resolve((this.exit = { code: null, signal: null }));
      });
    });
    this.died = this.exited.then(() => Promise.reject(new Stopped('died')));
    this.died.catch(() => {}); // only the waits racing it care
    const keep = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString('utf8')).slice(-LOG_CHARS);
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
    const argv = withPreloads(options.argv).map((arg) => arg.replace('{connection_file}', connectionFile));
    // Own process group: a terminal Ctrl-C reaches the runner only, which then stops the kernel itself.
    const child = spawn(argv[0], argv.slice(1), {
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
    void kernel.readLoop(kernel.shell, 'onShell');
    void kernel.readLoop(kernel.control, 'onShell');
    void kernel.readLoop(kernel.iopub, 'onIopub');
    try {
      await kernel.waitForReady((options.startTimeout ?? DEFAULTS.startTimeout) * 1000, options.signal);
    } catch (error) {
      await kernel.kill();
      throw error;
    }
    return kernel;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  private async readLoop(socket: zmq.Dealer | zmq.Subscriber, kind: keyof Pending): Promise<void> {
    try {
      for await (const frames of socket) {
        let message: Message;
        try {
          message = decode(frames, this.key);
        } catch {
          continue; // not for us or forged: ignore, as Jupyter clients do
        }
        trace('<<', message);
        const parent = message.parent_header.msg_id;
        if (parent) this.pending.get(parent)?.[kind](message);
      }
    } catch (error) {
      if (!this.closed) this.log += `socket error: ${String(error)}\n`;
    }
  }

  private async send(socket: zmq.Dealer, message: Message, pending: Pending): Promise<void> {
    this.pending.set(message.header.msg_id, pending);
    trace('>>', message);
    await socket.send(encode(message, this.key));
  }

  /**
   * `promise`'s value, or TIMEOUT after `ms` (Infinity: no deadline); throws Stopped if the kernel exits
   * or `signal` aborts first.
   */
  private async wait<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | typeof TIMEOUT> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort = (): void => {};
    const limits = new Promise<typeof TIMEOUT>((resolve, reject) => {
      onAbort = () => reject(new Stopped('cancelled'));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(ms)) timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms));
    });
    try {
      // `promise` first: a reply that came before the kernel exited still counts.
      return await Promise.race([promise, this.died, limits]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Sends kernel_info_request until the kernel replies on shell AND its status reaches us on iopub:
   * only then is the subscription live, so no output of the first cell can be lost.
   */
  private async waitForReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const replied = deferred();
    const subscribed = deferred();
    const ready = Promise.all([replied.promise, subscribed.promise]);
    let isReady = false;
    void ready.then(() => (isReady = true)); // registered first: set before any wait on `ready` returns
    let answered = false;
    const sent: string[] = [];
    try {
      do {
        const message = request(this.session, 'kernel_info_request', {});
        sent.push(message.header.msg_id);
        await this.send(this.shell, message, {
          onShell: (reply) => {
            this.info = reply.content;
            answered = true;
            replied.resolve();
          },
          onIopub: () => subscribed.resolve(),
        });
        // Until the first reply a request waits in the socket queue; afterwards only iopub needs a nudge,
        // the first one as soon as that reply comes without its status (sent before iopub connected).
        const wait = Math.min(answered ? 100 : 1000, deadline - Date.now());
        const until = answered ? ready : Promise.race([ready, replied.promise]);
        await this.wait(until, Math.max(1, wait), signal);
        if (isReady) return;
      } while (Date.now() < deadline);
      throw new Error(`kernel did not answer within ${timeoutMs / 1000} s\n${this.log}`);
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
      if (error.reason === 'cancelled') throw new Error('cancelled while the kernel was starting');
      throw new Error(`kernel exited during start-up (${describeExit(this.exit)})\n${this.log}`);
    } finally {
      for (const id of sent) this.pending.delete(id);
    }
  }

  /**
   * Runs one cell, as nbclient does: awaits the execute_reply within the time limit (past it: SIGINT,
   * and past the grace: kill), then the `idle` status that follows the cell's last output. Never
   * rejects for kernel trouble: a dead kernel, a timeout or the signal are outcomes.
   */
  async execute(code: string, given: ExecuteOptions): Promise<ExecuteOutcome> {
    const options = { ...DEFAULTS, ...given };
    const timing: Timing = {};
    const outcome = (status: ExecuteOutcome['status'], more?: Partial<ExecuteOutcome>): ExecuteOutcome => ({
      status,
      executionCount: null,
      killed: false,
      timing,
      ...more,
    });
    if (!this.alive) return outcome('died', { exit: this.exit! });
    const message = request(this.session, 'execute_request', executeContent(code));
    const reply = deferred<Message>();
    const idle = deferred();
    let lastMessage = 0;
    let interrupted = false;
    try {
      await this.send(this.shell, message, {
        onShell: (m) => {
          if (m.header.msg_type !== 'execute_reply') return;
          timing['shell.execute_reply'] = m.header.date;
          lastMessage = Date.now();
          reply.resolve(m);
        },
        onIopub: (m) => {
          lastMessage = Date.now();
          const type = m.header.msg_type;
          if (type === 'status') {
            const state = m.content.execution_state;
            if (state === 'busy' || state === 'idle') timing[`iopub.status.${state}`] = m.header.date;
            if (state === 'idle') idle.resolve();
            return;
          }
          if (type === 'execute_input') timing['iopub.execute_input'] = m.header.date;
          options.onIopub(m);
        },
      });
      // 1. The reply, within the cell's time limit (0: none); then SIGINT, and past the grace, kill.
      let answer = await this.wait(reply.promise, options.timeout * 1000 || Infinity, options.signal);
      if (answer === TIMEOUT) {
        interrupted = true;
        this.interrupt();
        answer = await this.wait(reply.promise, options.interruptGrace * 1000 || Infinity, options.signal);
        if (answer === TIMEOUT) {
          await this.kill();
          return outcome('timeout', { killed: true, exit: this.exit ?? undefined });
        }
      }
      // 2. The `idle` status: outputs may trail the reply (large ones do) and keep the wait going;
      // silence without `idle` means iopub dropped messages.
      let lost: string | undefined;
      const left = (): number => lastMessage + options.outputWait * 1000 - Date.now();
      while (!lost && (await this.wait(idle.promise, left(), options.signal)) === TIMEOUT) {
        if (left() > 0) continue; // a message came meanwhile
        lost =
          `the kernel's idle status for this cell never arrived (${options.outputWait} s ` +
          'after its last message): iopub dropped messages, so outputs may be missing';
      }
      const { content } = answer;
      const executionCount = typeof content.execution_count === 'number' ? content.execution_count : null;
      // ipykernel (and the d2l-ts preload) say 'aborted'; the spec's older word is 'abort'.
      const aborted = content.status === 'aborted' || content.status === 'abort';
      const status = interrupted ? 'timeout' : content.status === 'ok' ? 'ok' : aborted ? 'abort' : 'error';
      return outcome(status, { executionCount, lost });
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
      if (error.reason === 'cancelled') return outcome('cancelled');
      await delay(100); // let outputs already on the wire arrive
      // A timed-out cell whose interrupt was fatal counts as timed out.
      return outcome(interrupted ? 'timeout' : 'died', { killed: interrupted, exit: this.exit! });
    } finally {
      this.pending.delete(message.header.msg_id);
    }
  }

  /**
   * Sends any shell request, as a front end does, with no deadline: its reply, and its iopub messages up
   * to and including its `idle` status (for tests of what the kernel answers; cells go through `execute`).
   */
  request(msgType: string, content: JsonObject): { reply: Promise<Message>; iopub: Promise<Message[]> } {
    const message = request(this.session, msgType, content);
    const reply = deferred<Message>();
    const iopub = deferred<Message[]>();
    const published: Message[] = [];
    void Promise.all([reply.promise, iopub.promise]).then(() => this.pending.delete(message.header.msg_id));
    void this.send(this.shell, message, {
      onShell: (m) => reply.resolve(m),
      onIopub: (m) => {
        published.push(m);
        if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') iopub.resolve(published);
      },
    });
    return { reply: reply.promise, iopub: iopub.promise };
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
      await this.wait(this.exited, graceMs).catch(() => {});
    }
    await this.kill();
  }

  /** Kills the kernel's process group and releases sockets and the connection file. */
  async kill(): Promise<void> {
    this.killNow(false);
    await this.wait(this.exited, 2000).catch(() => {});
    this.close();
  }

  /** Synchronous last resort for abort and exit handlers. */
  killNow(close = true): void {
    if (this.alive && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    if (close) this.close();
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

/** A promise with its resolve (Node 22's Promise.withResolvers). */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}
