/**
 * The display path as the tslab kernel drives it: a node process that has loaded tslab's own `jupyter`
 * module, whose `lastWriteDisplayData` the kernel sets for the running cell. `plot` must find that
 * module in require.cache and send ONE display_data carrying the whole MIME bundle.
 */
import { execFileSync } from 'child_process';

function runInNode(script: string): {
  ret: string;
  messages: Array<{ msg: { data: Record<string, unknown> }; update: boolean }>;
} {
  const out = execFileSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '');
}

const header = `
const jupyter = require('tslab/dist/jupyter');
const messages = [];
const d2l = require('d2l');
const report = (ret) => console.log(JSON.stringify({ ret: ret === undefined ? 'undefined' : ret.constructor.name, messages }));
`;

test("in a running cell, plot sends one display_data with vega-lite, a 2× PNG shown at the figure's size and text", () => {
  const { ret, messages } = runInNode(
    header +
      `jupyter.lastWriteDisplayData = (msg, update) => messages.push({ msg, update });
       report(d2l.plot([1, 2, 3], [[1, 4, 9], [1, 2, 3]], { xlabel: 'n', legend: ['square', 'n'] }));`,
  );
  expect(ret).toBe('undefined');
  expect(messages).toHaveLength(1);
  const [{ msg, update }] = messages;
  expect(update).toBe(false);
  expect(Object.keys(msg.data).sort()).toEqual([
    'application/vnd.vegalite.v5+json',
    'image/png',
    'text/plain',
  ]);
  expect(msg.data['application/vnd.vegalite.v5+json']).toMatchObject({
    $schema: expect.stringContaining('/v5'),
  });
  expect(Buffer.from(msg.data['image/png'] as string, 'base64').readUInt32BE(16)).toBe(700);
  expect(msg.data['text/plain']).toBe('<Figure 350×250>');
  expect(msg).toMatchObject({ metadata: { 'image/png': { width: 350, height: 250 } }, transient: {} });
});

test('with tslab loaded but no cell running, plot returns the figure and sends nothing', () => {
  const { ret, messages } = runInNode(header + `report(d2l.plot([1, 2, 3]));`);
  expect(ret).toBe('Figure');
  expect(messages).toEqual([]);
});

test("when tslab's internal sender is gone, plot falls back to its public display with the PNG", () => {
  const { ret, messages } = runInNode(
    header +
      `const tslab = require('tslab/dist/public');
       delete jupyter.lastWriteDisplayData;
       tslab.display.png = (png) => messages.push({ msg: { data: { 'image/png': png.length } }, update: false });
       report(d2l.plot([1, 2, 3]));`,
  );
  expect(ret).toBe('undefined');
  expect(messages).toHaveLength(1);
  expect(messages[0].msg.data['image/png']).toBeGreaterThan(1000);
});
