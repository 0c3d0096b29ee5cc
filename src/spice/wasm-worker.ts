/**
 * Worker thread that owns one eecircuit-engine instance (ngspice 45 in WebAssembly). One instance per
 * thread: the module keeps global state. The parent (./wasm.ts) sends one run at a time and kills
 * this thread on timeout.
 *
 * How the package is driven (eecircuit-engine 1.8.0, read from its dist): `start()` boots ngspice;
 * `runSim()` feeds the interpreter the lines of its `commandList` (by default `source test.cir`,
 * `destroy all`, `run`, `write out.raw`) and then reads and parses /out.raw itself. We replace the
 * list with just `source /test.cir`, because our netlist carries its own control block (run, then
 * write every plot to /fusemix.raw); the package's own parser only understands one real/complex
 * plot, so /out.raw holds a fixed one-point sentinel plot it can always parse (a missing or
 * unparsable /out.raw would leave runSim() pending forever), and we read /fusemix.raw ourselves.
 */
import { parentPort } from 'node:worker_threads';
import { Simulation } from 'eecircuit-engine';

/** Messages from the parent. */
export interface WorkerRun {
  type: 'run';
  id: number;
  /** prepared netlist (control block included) */
  netlist: string;
  /** absolute in-memory paths -> contents */
  files: Record<string, string>;
}

/** Messages to the parent. */
export type WorkerReply =
  | { type: 'ready'; startMs: number; banner: string }
  | { type: 'result'; id: number; raw: Uint8Array | null; errors: string[]; info: string; ms: number }
  | { type: 'fatal'; message: string };

interface EmscriptenFS {
  writeFile(path: string, data: string | Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  mkdirTree?(path: string): void;
  mkdir(path: string): void;
}

const RAW = '/fusemix.raw';

function sentinel(): Uint8Array {
  const head = new TextEncoder().encode(
    'Title: fusemix sentinel\nDate: -\nPlotname: sentinel\nFlags: real\nNo. Variables: 1\nNo. Points: 1\nVariables:\n\t0\tx\tnotype\nBinary:\n',
  );
  const out = new Uint8Array(head.length + 8);
  out.set(head);
  return out; // the value 0.0 is eight zero bytes
}

function mkdirs(fs: EmscriptenFS, dir: string): void {
  if (dir === '/' || dir === '') return;
  if (fs.mkdirTree) {
    fs.mkdirTree(dir);
    return;
  }
  let cur = '';
  for (const part of dir.split('/').filter(Boolean)) {
    cur += `/${part}`;
    try {
      fs.mkdir(cur);
    } catch {
      /* exists */
    }
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('wasm-worker.ts must run in a worker thread');
  // The package echoes ngspice's stderr with console.error; we return it in the reply instead.
  console.error = () => {};
  console.info = () => {};
  const t0 = performance.now();
  const sim = new Simulation();
  await sim.start();
  const fs = (sim.__getSpiceModuleForTests() as { FS?: EmscriptenFS } | null)?.FS;
  if (!fs) throw new Error('eecircuit-engine exposes no file system (unsupported version)');
  fs.writeFile('/out.raw', sentinel());
  const banner = /ngspice-[\d.]+/.exec(sim.getInitInfo())?.[0] ?? 'ngspice (wasm)';
  port.postMessage({ type: 'ready', startMs: performance.now() - t0, banner } satisfies WorkerReply);

  port.on('message', async (m: WorkerRun) => {
    if (m.type !== 'run') return;
    try {
      for (const [path, content] of Object.entries(m.files)) {
        mkdirs(fs, path.slice(0, path.lastIndexOf('/')));
        fs.writeFile(path, content);
      }
      try {
        fs.unlink(RAW);
      } catch {
        /* not there */
      }
      sim.setNetList(m.netlist);
      (sim as unknown as { commandList: string[] }).commandList = [' ', 'source /test.cir'];
      const t = performance.now();
      await sim.runSim();
      const ms = performance.now() - t;
      let raw: Uint8Array | null = null;
      try {
        raw = fs.readFile(RAW).slice(); // own buffer, safe to transfer
      } catch {
        raw = null;
      }
      const errors = [...sim.getError()];
      const reply: WorkerReply = { type: 'result', id: m.id, raw, errors, info: sim.getInfo(), ms };
      port.postMessage(reply, raw ? [raw.buffer as ArrayBuffer] : []);
    } catch (e) {
      port.postMessage({ type: 'fatal', message: String((e as Error)?.stack ?? e) } satisfies WorkerReply);
    }
  });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ type: 'fatal', message: String((e as Error)?.stack ?? e) } satisfies WorkerReply);
});
