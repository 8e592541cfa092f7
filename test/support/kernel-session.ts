/**
 * A bare Jupyter client for kernel tests: starts a kernel from an argv, sends any request and collects
 * every reply and iopub message by request, so a test sees the protocol exactly as a front end does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import {
  decode,
  encode,
  executeContent,
  request,
  type JsonObject,
  type Message,
} from '../../src/runner/wire';

const CHANNELS = ['shell', 'iopub', 'stdin', 'control', 'hb'] as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Exchange {
  reply: Promise<Message>;
  /** iopub messages for this request, up to and including its `idle` status. */
  iopub: Promise<Message[]>;
}

export class KernelSession {
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly replies = new Map<string, (m: Message) => void>();
  private readonly published = new Map<string, { messages: Message[]; done: (m: Message[]) => void }>();
  readonly session = randomBytes(8).toString('hex');

  private constructor(
    readonly child: ChildProcess,
    private readonly key: string,
    private readonly dir: string,
  ) {}

  static async start(argv: string[], cwd: string): Promise<KernelSession> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-kernel-test-'));
    const key = randomBytes(16).toString('hex');
    const connection: JsonObject = {
      ip: '127.0.0.1',
      transport: 'tcp',
      signature_scheme: 'hmac-sha256',
      key,
    };
    for (const channel of CHANNELS) connection[`${channel}_port`] = await freePort();
    const file = path.join(dir, 'connection.json');
    fs.writeFileSync(file, JSON.stringify(connection));
    const [command, ...args] = argv.map((arg) => arg.replace('{connection_file}', file));
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const session = new KernelSession(child, key, dir);
    session.shell.connect(`tcp://127.0.0.1:${connection.shell_port}`);
    session.iopub.connect(`tcp://127.0.0.1:${connection.iopub_port}`);
    session.iopub.subscribe();
    void session.read(session.shell, (m) => session.replies.get(m.parent_header.msg_id ?? '')?.(m));
    void session.read(session.iopub, (m) => {
      const entry = session.published.get(m.parent_header.msg_id ?? '');
      if (!entry) return;
      entry.messages.push(m);
      if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') entry.done(entry.messages);
    });
    // Ready once a kernel_info request is answered on shell and its idle status arrives on iopub.
    for (let attempt = 0; attempt < 60; attempt++) {
      const info = session.send('kernel_info_request', {});
      const answered = await Promise.race([
        info.iopub.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
      ]);
      if (answered) return session;
    }
    session.close();
    throw new Error('the kernel did not answer kernel_info_request within 60 s');
  }

  private async read(socket: zmq.Dealer | zmq.Subscriber, handle: (m: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) handle(decode(frames, this.key));
    } catch {
      // closed
    }
  }

  send(msgType: string, content: JsonObject): Exchange {
    const message = request(this.session, msgType, content);
    const id = message.header.msg_id;
    const reply = new Promise<Message>((resolve) => this.replies.set(id, resolve));
    const iopub = new Promise<Message[]>((resolve) =>
      this.published.set(id, { messages: [], done: resolve }),
    );
    void this.shell.send(encode(message, this.key));
    return { reply, iopub };
  }

  execute(code: string): Exchange {
    return this.send('execute_request', executeContent(code));
  }

  interrupt(): void {
    this.child.kill('SIGINT');
  }

  close(): void {
    this.child.kill('SIGKILL');
    this.shell.close();
    this.iopub.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
