/**
 * iopub messages → nbformat 4 outputs, as Jupyter stores them (nbformat's output_from_msg, nbclient's
 * display-id updates and clear_output, nbconvert's stream coalescing).
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

/** Outputs that carry a display_id, by id, across the notebook, so update_display_data can reach them. */
export type Displays = Map<string, (DisplayDataOutput | ExecuteResultOutput)[]>;

/** What a cell's saved outputs lack: cut at the size limit, or lost on the way (ZeroMQ dropped them). */
export interface OutputCut {
  /** Characters and outputs dropped past the limit (0 when nothing was dropped for size). */
  droppedChars: number;
  droppedOutputs: number;
  /** Why outputs may be missing besides the limit, e.g. the kernel's idle status never arrived. */
  lost?: string;
}

/** The size of an output as stored, in characters (JSON values by their JSON text). */
function outputSize(output: Output): number {
  if (output.output_type === 'stream') return output.text.length;
  if (output.output_type === 'error') return output.evalue.length + output.traceback.join('\n').length;
  let size = 0;
  for (const value of Object.values(output.data)) {
    size += typeof value === 'string' ? value.length : (JSON.stringify(value) ?? '').length;
  }
  return size;
}

/**
 * One cell's outputs while it runs, at most `limit` characters of them (0: no limit). Past the limit
 * outputs are counted and dropped, and a note on stderr says so where the cut happened.
 */
export class CellOutputs {
  /** stdout is merged as it comes (a cell printing 10⁶ lines keeps one output). */
  private outputs: Output[] = [];
  private clearOnNextOutput = false;
  private size = 0;
  /** The truncation note, once the limit is reached. */
  private note: StreamOutput | null = null;
  private droppedChars = 0;
  private droppedOutputs = 0;
  private lost?: string;

  constructor(
    private readonly displays: Displays,
    private readonly limit = 0,
  ) {}

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
      for (const output of this.displays.get(displayId) ?? []) {
        output.data = object(content.data);
        output.metadata = object(content.metadata);
      }
      if (msg_type === 'update_display_data') return;
    }
    const output = fromMessage(msg_type, content);
    if (!output) return;
    if (this.clearOnNextOutput) {
      this.clear();
      this.clearOnNextOutput = false;
    }
    if (!this.fits(output)) return;
    if (typeof displayId === 'string' && output.output_type === 'display_data') {
      this.displays.set(displayId, [...(this.displays.get(displayId) ?? []), output]);
    }
    this.add(output);
  }

  /** Appends an output made by the runner (timeout, dead kernel); never cut. */
  push(output: Output): void {
    this.outputs.push(output);
  }

  /** Records that outputs may be missing, and why, with a note on stderr. */
  markLost(why: string): void {
    this.lost = why;
    this.outputs.push({ output_type: 'stream', name: 'stderr', text: `\n[d2l-ts runner: ${why}]\n` });
  }

  /** What the saved outputs lack (cut for size, or lost), or null when they are whole. */
  get cut(): OutputCut | null {
    if (!this.note && !this.lost) return null;
    const dropped = { droppedChars: this.droppedChars, droppedOutputs: this.droppedOutputs };
    return this.lost ? { ...dropped, lost: this.lost } : dropped;
  }

  /** The final outputs, streams coalesced, with the truncation note filled in. */
  finish(): Output[] {
    if (this.note) {
      this.note.text =
        `\n[d2l-ts runner: output truncated: ${this.droppedChars} more characters in ` +
        `${this.droppedOutputs} outputs past the limit of ${this.limit} characters per cell (--max-output)]\n`;
    }
    return coalesceStreams(this.outputs);
  }

  /**
   * Within the limit, or cut to fit (a stream keeps its head); counts what is dropped. The cell's
   * error is kept whatever the size: it says why the cell failed.
   */
  private fits(output: Output): boolean {
    if (this.limit <= 0 || output.output_type === 'error') return true;
    const size = outputSize(output);
    if (!this.note && this.size + size <= this.limit) {
      this.size += size;
      return true;
    }
    let kept = 0;
    if (!this.note) {
      if (output.output_type === 'stream') {
        kept = this.limit - this.size;
        if (kept > 0) this.add({ ...output, text: output.text.slice(0, kept) });
      }
      this.note = { output_type: 'stream', name: 'stderr', text: '' };
      this.outputs.push(this.note);
    }
    this.droppedChars += size - kept;
    this.droppedOutputs++;
    return false;
  }

  private add(output: Output): void {
    const last = this.outputs[this.outputs.length - 1];
    if (
      output.output_type === 'stream' &&
      output.name === 'stdout' &&
      last?.output_type === 'stream' &&
      last.name === 'stdout'
    ) {
      last.text += output.text;
    } else {
      this.outputs.push(output);
    }
  }

  private clear(): void {
    for (const [id, list] of this.displays)
      this.displays.set(
        id,
        list.filter((o) => !this.outputs.includes(o)),
      );
    this.outputs = [];
    this.size = 0;
    this.note = null;
    this.droppedChars = this.droppedOutputs = 0;
  }
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
    if (output.output_type === 'stream') output.text = applyCarriageReturns(output.text);
  }
  return merged;
}

/**
 * nbconvert's `re.sub(r".*\r(?=[^\n])", "", text)`: on each line, drop everything up to its last `\r`
 * that is followed by more of the line. In one pass (the regex itself is quadratic in a line's length).
 */
export function applyCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text;
  const parts: string[] = [];
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // The last \r with a character of this line after it.
    const cr = end - start >= 2 ? text.lastIndexOf('\r', end - 2) : -1;
    parts.push(text.slice(cr >= start ? cr + 1 : start, end));
    start = end + 1;
  }
  return parts.join('\n');
}
