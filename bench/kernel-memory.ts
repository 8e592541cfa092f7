/**
 * What the d2l-ts kernel's resident memory is after the 3.2 lesson: `tsx bench/kernel-memory.ts
 * [--snapshot]`. Runs notebooks/3.2-… in a fresh kernel (the runner's KernelClient, as the bench does),
 * then prints the kernel's /proc/PID/smaps grouped by mapping (libtensorflow's text, the anonymous heap,
 * node itself, ...), process.memoryUsage() and V8's heap spaces seen from a cell (after a full GC), the
 * packages loaded (is the wasm backend there, more than one tfjs?), and with --snapshot a V8 heap
 * snapshot counted by constructor (what TypeScript's programs hold: its Node, Symbol, Type objects).
 * Not a benchmark: one run, for the breakdown in the notes of issue 28.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelSpec } from '../src/kernelspec';
import { KernelClient } from '../src/runner/kernel';
import type { Message } from '../src/runner/wire';
import { LESSON_NOTEBOOK, procStatusMB, typescriptLesson } from './kernel-lesson';

interface Mapping {
  name: string;
  rss: number;
  privateKB: number;
}

/** /proc/PID/smaps: resident kB by mapping (file basename, [heap], [anon], ...), largest first. */
export function smapsByMapping(text: string): Mapping[] {
  const by = new Map<string, Mapping>();
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (header) {
      const file = header[1].trim();
      const name = file === '' ? '[anon]' : file.startsWith('[') ? file : path.basename(file);
      current = by.get(name) ?? { name, rss: 0, privateKB: 0 };
      by.set(name, current);
      continue;
    }
    const field = /^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB/.exec(line);
    if (field && current) {
      if (field[1] === 'Rss') current.rss += Number(field[2]);
      else current.privateKB += Number(field[2]);
    }
  }
  return [...by.values()].sort((a, b) => b.rss - a.rss);
}

/** A V8 heap snapshot's self sizes by node type and constructor name, largest first. */
export function snapshotByConstructor(file: string): { key: string; count: number; bytes: number }[] {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const by = new Map<string, { key: string; count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]];
    const name = type === 'object' || type === 'native' ? snap.strings[snap.nodes[i + nameAt]] : '';
    const key = `${type}${name ? ` ${name}` : ''}`;
    const entry = by.get(key) ?? { key, count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt];
    by.set(key, entry);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes);
}

/** What the cell prints: packages loaded, process.memoryUsage() and heap spaces after a full GC. */
const INSPECT = `{
  const v8 = require('v8');
  v8.setFlagsFromString('--expose-gc');
  require('vm').runInNewContext('gc')();
  const packages = new Map<string, number>();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file.split('node_modules/').slice(-2).join('node_modules/'));
    const key = m ? m[1] + (file.includes('/node_modules/' + m[1] + '/node_modules/') ? ' (nested)' : '') : '(project)';
    packages.set(key, (packages.get(key) ?? 0) + 1);
  }
  const copies = Object.keys(require.cache).filter((f) => /tfjs-core\\/dist\\/(tf-core\\.node\\.js|index\\.js)$/.test(f));
  const mb = (x: number) => Math.round(x / 2 ** 20);
  const usage = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)]));
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s: { space_name: string; space_used_size: number }) => [s.space_name, mb(s.space_used_size)]));
  console.log(JSON.stringify({ usage, spaces, packages: Object.fromEntries([...packages].sort()), tfjsCoreCopies: copies, backend: tf.getBackend() }));
}`;

async function main(): Promise<void> {
  const snapshot = process.argv.includes('--snapshot');
  const kernel = await KernelClient.start({ argv: kernelSpec().argv, cwd: path.dirname(LESSON_NOTEBOOK) });
  const run = async (code: string): Promise<string> => {
    const out: string[] = [];
    const outcome = await kernel.execute(code, {
      timeout: 0, // a heap snapshot of the kernel takes minutes on a busy machine
      onIopub: (m: Message) => {
        const c = m.content as { text?: string; ename?: string; evalue?: string };
        if (m.header.msg_type === 'stream') out.push(String(c.text));
        if (m.header.msg_type === 'error') out.push(`${c.ename}: ${c.evalue}`);
      },
    });
    if (outcome.status !== 'ok') throw new Error(`cell ended ${outcome.status}: ${out.join('')}\n${code}`);
    return out.join('');
  };
  try {
    const mb = (): string => `${procStatusMB(kernel.pid, 'VmRSS').toFixed(0)} MB`;
    console.log(`after kernel_info_reply: ${mb()}`);
    for (const [i, cell] of typescriptLesson().entries()) {
      await run(cell.code);
      if (i === 0) console.log(`after the first cell: ${mb()}`);
    }
    console.log(`after the lesson: VmRSS ${mb()}, VmHWM ${procStatusMB(kernel.pid, 'VmHWM').toFixed(0)} MB`);
    const mappings = smapsByMapping(fs.readFileSync(`/proc/${kernel.pid}/smaps`, 'utf8'));
    console.log('\nsmaps, resident MB by mapping (private MB):');
    for (const m of mappings.slice(0, 25)) {
      console.log(
        `  ${(m.rss / 1024).toFixed(1).padStart(7)} (${(m.privateKB / 1024).toFixed(1)})  ${m.name}`,
      );
    }
    const total = mappings.reduce((s, m) => s + m.rss, 0);
    console.log(`  total ${(total / 1024).toFixed(0)} MB`);
    console.log('\nfrom a cell, after a full GC:');
    console.log((await run(INSPECT)).trim());
    console.log(`after the GC: ${mb()}`);
    if (snapshot) {
      const file = path.join(os.tmpdir(), `d2l-ts-kernel-${kernel.pid}.heapsnapshot`);
      await run(`require('v8').writeHeapSnapshot(${JSON.stringify(file)});`);
      console.log(`\nheap snapshot ${file}: self size by constructor (top 40)`);
      const rows = snapshotByConstructor(file);
      for (const r of rows.slice(0, 40)) {
        console.log(
          `  ${(r.bytes / 2 ** 20).toFixed(1).padStart(7)} MB ${String(r.count).padStart(8)}  ${r.key}`,
        );
      }
      const ts = rows.filter((r) =>
        /^object (NodeObject|TokenObject|IdentifierObject|SourceFileObject|SymbolObject|TypeObject|SignatureObject|PrivateIdentifierObject|Node|Token|Identifier|SourceFile)$/.test(
          r.key,
        ),
      );
      const tsBytes = ts.reduce((s, r) => s + r.bytes, 0);
      console.log(
        `TypeScript's AST, symbol and type objects (self size): ${(tsBytes / 2 ** 20).toFixed(1)} MB; ` +
          ts.map((r) => `${r.key.replace('object ', '')} ×${r.count}`).join(', '),
      );
      fs.rmSync(file, { force: true });
    }
  } finally {
    await kernel.shutdown();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
