/** outputs.ts without a kernel: iopub messages to nbformat outputs, in linear time, within a limit. */
import { applyCarriageReturns, CellOutputs, coalesceStreams, type Output } from '../../src/runner/outputs';
import { request, type Message } from '../../src/runner/wire';

const message = (msg_type: string, content: Message['content']): Message => ({
  ...request('session', msg_type, content),
  parent_header: { msg_id: 'parent' },
});
const header = request('session', 'stream', {}).header;
const stream = (name: 'stdout' | 'stderr', text: string): Message => ({
  header,
  parent_header: { msg_id: 'parent' },
  metadata: {},
  content: { name, text },
});

describe('CellOutputs', () => {
  it('merges consecutive same-name streams and applies carriage returns, as nbconvert does', () => {
    expect(
      coalesceStreams([
        { output_type: 'stream', name: 'stdout', text: 'a\n' },
        { output_type: 'stream', name: 'stdout', text: '10%\r100%\n' },
        { output_type: 'stream', name: 'stderr', text: 'w\n' },
        { output_type: 'stream', name: 'stdout', text: 'b\n' },
      ]),
    ).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\n100%\n' },
      { output_type: 'stream', name: 'stderr', text: 'w\n' },
      { output_type: 'stream', name: 'stdout', text: 'b\n' },
    ]);
  });

  it('keeps stderr as a stream when the cell succeeded', () => {
    const cell = new CellOutputs(new Map());
    cell.handle(stream('stderr', 'Error: only logged\n'));
    expect(cell.finish()).toEqual([{ output_type: 'stream', name: 'stderr', text: 'Error: only logged\n' }]);
  });

  it('updates displays by display_id across cells and honours clear_output(wait)', () => {
    const displays = new Map();
    const first = new CellOutputs(displays);
    first.handle(
      message('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd' } }),
    );
    const firstOutputs = first.finish();
    const second = new CellOutputs(displays);
    second.handle(stream('stdout', 'gone\n'));
    second.handle(message('clear_output', { wait: true }));
    second.handle(
      message('update_display_data', {
        data: { 'text/plain': 'v2' },
        metadata: {},
        transient: { display_id: 'd' },
      }),
    );
    second.handle(stream('stdout', 'kept\n'));
    expect(firstOutputs).toEqual([
      { output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: {} },
    ]);
    expect(second.finish()).toEqual([{ output_type: 'stream', name: 'stdout', text: 'kept\n' }]);
  });
});

describe('output processing in linear time', () => {
  it('applies carriage returns as nbconvert does', () => {
    // nbconvert's regex, on inputs small enough for it.
    const nbconvert = (text: string): string => text.replace(/[^\n]*\r(?=[^\n])/g, '');
    const samples = [
      '',
      '\r',
      'a\rb',
      'a\r\nb',
      'a\rb\rc\n',
      '10%\r100%\n',
      '\r\r\n\rx',
      'a\rb\r',
      'x\n\ry\rz\r\n',
    ];
    for (const sample of samples) expect(applyCarriageReturns(sample)).toBe(nbconvert(sample));
    let seed = 1;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: 12 }, () => 'ab\r\n'[Math.floor(random() * 4)]).join('');
      expect(applyCarriageReturns(text)).toBe(nbconvert(text));
    }
  });

  it('handles a 10⁷-character line and 10⁶ stream messages without stalling', () => {
    const line = 'x'.repeat(10_000_000) + '\r' + 'y'.repeat(10) + '\n';
    expect(applyCarriageReturns(line)).toBe('y'.repeat(10) + '\n');
    const cell = new CellOutputs(new Map(), 0);
    for (let i = 0; i < 1_000_000; i++) cell.handle(stream('stdout', `line ${i}\n`));
    const outputs = cell.finish();
    expect(outputs).toHaveLength(1);
    expect((outputs[0] as { text: string }).text.split('\n')).toHaveLength(1_000_001);
  }, 60_000);
});

describe('CellOutputs with a limit', () => {
  const text = (o: Output): string => (o as { text: string }).text;

  it('cuts past the limit with a note in the outputs and counts what it dropped', () => {
    const cell = new CellOutputs(new Map(), 100);
    for (let i = 0; i < 30; i++) cell.handle(stream('stdout', '0123456789'));
    const outputs = cell.finish();
    expect(outputs.map((o) => [o.output_type, (o as { name?: string }).name])).toEqual([
      ['stream', 'stdout'],
      ['stream', 'stderr'],
    ]);
    expect(text(outputs[0])).toBe('0123456789'.repeat(10));
    expect(text(outputs[1])).toMatch(/truncated.*200 more characters in 20 outputs/);
    expect(cell.cut).toEqual({ droppedChars: 200, droppedOutputs: 20 });
  });

  it('starts afresh after a clear_output', () => {
    const cleared = new CellOutputs(new Map(), 10);
    cleared.handle(stream('stdout', 'x'.repeat(50)));
    cleared.handle({ ...stream('stdout', ''), header: { ...header, msg_type: 'clear_output' }, content: {} });
    cleared.handle(stream('stdout', 'short'));
    expect(cleared.finish()).toEqual([{ output_type: 'stream', name: 'stdout', text: 'short' }]);
    expect(cleared.cut).toBeNull();
  });
});
