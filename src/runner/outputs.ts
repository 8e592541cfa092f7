/**
 * iopub messages → nbformat 4 outputs, as Jupyter stores them (nbformat's output_from_msg, nbclient's
 * display-id updates and clear_output, nbconvert's stream coalescing). tslab reports errors only as text
 * on stderr, so the error output is rebuilt from that text.
 */
import type { JsonObject, Message } from './wire';

export type MimeBundle = { [mime: string]: unknown };

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string;
}
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: JsonObject;
}
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: JsonObject;
}
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

const object = (value: unknown): JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : {};

/** Outputs that carry a display_id, across the notebook, so update_display_data can reach them. */
export class DisplayRegistry {
  private readonly byId = new Map<string, (DisplayDataOutput | ExecuteResultOutput)[]>();

  update(id: string, content: JsonObject): void {
    for (const output of this.byId.get(id) ?? []) {
      output.data = object(content.data);
      output.metadata = object(content.metadata);
    }
  }

  register(id: string, output: DisplayDataOutput | ExecuteResultOutput): void {
    this.byId.set(id, [...(this.byId.get(id) ?? []), output]);
  }

  forget(outputs: readonly Output[]): void {
    for (const [id, list] of this.byId)
      this.byId.set(
        id,
        list.filter((o) => !outputs.includes(o)),
      );
  }
}

/** One cell's outputs while it runs. */
export class CellOutputs {
  /** Streams stay one entry per message until finish(), which needs them to find tslab's error text. */
  private outputs: Output[] = [];
  private clearOnNextOutput = false;

  constructor(private readonly displays: DisplayRegistry) {}

  handle(message: Message): void {
    const { msg_type } = message.header;
    const content = message.content;
    if (msg_type === 'clear_output') {
      if (content.wait) this.clearOnNextOutput = true;
      else this.clear();
      return;
    }
    const displayId = object(content.transient).display_id;
    if (
      typeof displayId === 'string' &&
      (msg_type === 'display_data' || msg_type === 'update_display_data')
    ) {
      this.displays.update(displayId, content);
      if (msg_type === 'update_display_data') return;
    }
    const output = fromMessage(msg_type, content);
    if (!output) return;
    if (this.clearOnNextOutput) {
      this.clear();
      this.clearOnNextOutput = false;
    }
    if (typeof displayId === 'string' && output.output_type === 'display_data') {
      this.displays.register(displayId, output);
    }
    this.outputs.push(output);
  }

  /** Appends an output made by the runner (timeout, dead kernel). */
  push(output: Output): void {
    this.outputs.push(output);
  }

  /**
   * The final outputs. For a failed cell without an error message (tslab), the error text tslab printed
   * last on stderr becomes an `error` output in its place.
   */
  finish(failed: boolean): Output[] {
    if (failed && !this.outputs.some((o) => o.output_type === 'error')) this.errorFromStderr();
    return coalesceStreams(this.outputs);
  }

  private clear(): void {
    this.displays.forget(this.outputs);
    this.outputs = [];
  }

  private errorFromStderr(): void {
    let last = -1;
    for (let i = this.outputs.length - 1; i >= 0; i--) {
      const o = this.outputs[i];
      if (o.output_type === 'stream' && o.name === 'stderr') {
        last = i;
        break;
      }
    }
    if (last < 0) return;
    const isDiagnostic = (o: Output | undefined): boolean =>
      o?.output_type === 'stream' && o.name === 'stderr' && DIAGNOSTIC.test(o.text);
    let first = last;
    const lastText = (this.outputs[last] as StreamOutput).text;
    if (DIAGNOSTIC.test(lastText)) {
      // A compile error: one console.error line per diagnostic, all at the end of the cell's stderr.
      while (isDiagnostic(this.outputs[first - 1])) first--;
      const text = this.outputs
        .slice(first, last + 1)
        .map((o) => (o as StreamOutput).text)
        .join('');
      this.outputs.splice(first, last - first + 1, compileError(text));
    } else {
      this.outputs.splice(last, 1, runtimeError(lastText));
    }
  }
}

/** tslab prints each TypeScript diagnostic as `[file ]line:column - message`. */
const DIAGNOSTIC = /^(?:\S+ )?\d+:\d+ - /;

const lines = (text: string): string[] => text.replace(/\n+$/, '').split('\n');

function compileError(text: string): ErrorOutput {
  const traceback = lines(text);
  const first = traceback[0].replace(DIAGNOSTIC, '');
  const more = traceback.filter((line) => DIAGNOSTIC.test(line)).length - 1;
  return {
    output_type: 'error',
    ename: 'CompileError',
    evalue: more > 0 ? `${first} (and ${more} more)` : first,
    traceback,
  };
}

/**
 * Node's inspection of a thrown value: `Name[ [code]]: message` then `    at ...` frames (possibly after a
 * source excerpt), or any other text for values that are not Errors.
 */
function runtimeError(text: string): ErrorOutput {
  const traceback = lines(text);
  const frames = traceback.findIndex((line) => /^\s+at /.test(line));
  let head = (frames < 0 ? traceback : traceback.slice(0, frames)).join('\n');
  // Errors thrown while a script runs carry Node's source excerpt first: `file:line`, code, `^`, blank.
  const excerpt = /^\S+:\d+\n[\s\S]*?\n\n/.exec(head);
  if (excerpt) head = head.slice(excerpt[0].length);
  const match = /^([A-Za-z_$][\w$.]*)(?: \[[^\]]*\])?: ([\s\S]*)$/.exec(head);
  return {
    output_type: 'error',
    ename: match ? match[1] : 'Error',
    evalue: match ? match[2] : head,
    traceback,
  };
}

function fromMessage(msg_type: string, content: JsonObject): Output | null {
  switch (msg_type) {
    case 'stream':
      return {
        output_type: 'stream',
        name: content.name === 'stderr' ? 'stderr' : 'stdout',
        text: String(content.text ?? ''),
      };
    case 'display_data':
      return { output_type: 'display_data', data: object(content.data), metadata: object(content.metadata) };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: typeof content.execution_count === 'number' ? content.execution_count : null,
        data: object(content.data),
        metadata: object(content.metadata),
      };
    case 'error':
      return {
        output_type: 'error',
        ename: String(content.ename ?? ''),
        evalue: String(content.evalue ?? ''),
        traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
      };
    default:
      return null; // execute_input, comm messages and the like carry no output
  }
}

/** nbconvert's coalesce_streams: merge consecutive same-name streams, then apply carriage returns. */
export function coalesceStreams(outputs: readonly Output[]): Output[] {
  const merged: Output[] = [];
  for (const output of outputs) {
    const last = merged[merged.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      merged[merged.length - 1] = { ...last, text: last.text + output.text };
    } else {
      merged.push(output.output_type === 'stream' ? { ...output } : output);
    }
  }
  for (const output of merged) {
    if (output.output_type === 'stream') output.text = output.text.replace(/[^\n]*\r(?=[^\n])/g, '');
  }
  return merged;
}
