/**
 * The kernel tests' client: the runner's own KernelClient, asked for any request, so a test sees every
 * reply and iopub message of a request exactly as a front end does.
 */
import { KernelClient } from '../../src/runner/kernel';
import { executeContent, type JsonObject, type Message } from '../../src/runner/wire';

export interface Exchange {
  reply: Promise<Message>;
  /** iopub messages for this request, up to and including its `idle` status. */
  iopub: Promise<Message[]>;
}

export class KernelSession {
  private constructor(private readonly client: KernelClient) {}

  static async start(argv: string[], cwd: string): Promise<KernelSession> {
    return new KernelSession(await KernelClient.start({ argv, cwd, startTimeout: 60 }));
  }

  send(msgType: string, content: JsonObject): Exchange {
    return this.client.request(msgType, content);
  }

  execute(code: string): Exchange {
    return this.send('execute_request', executeContent(code));
  }

  interrupt(): void {
    this.client.interrupt();
  }

  close(): void {
    this.client.killNow();
  }
}
