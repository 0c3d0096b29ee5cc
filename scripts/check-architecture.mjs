#!/usr/bin/env node
// The layering check: `node scripts/check-architecture.mjs [root]` (root defaults to the package;
// it reads <root>/src/**/*.ts). Every relative import (static, `export ... from`, `import type` and
// dynamic `import('...')`, read with TypeScript's preProcessFile, so comments and strings don't count)
// must go from a folder to a folder of a LOWER layer, or stay inside its folder; and there must be no
// import cycle, neither between files nor between folders. Prints each offender and exits 1; exits 0
// with a one-line summary when the tree is clean. Run by .ci/run before the tests.
//
// The layers (ARCHITECTURE.md, "Arrows point one way"), lowest first. A folder may import only from
// folders of a lower layer; folders of the same layer know nothing of each other.
//
//   layer  folders                    what
//   0      core                       errors, units, io, rng, numeric helpers, SVG primitives
//   1      devices, kernels, data     pure device models | numeric kernels (js/wasm/blas, worker
//                                     pool) | data loaders
//   2      units, photonic            composed units: fused MACAM activation, ADC + digital path,
//                                     the photonic MZI core
//   3      spice, nn                  netlists + engines + verification | layers, training, parallel
//                                     evaluation
//   4      calibrate, mixer           fits to data and to SPICE sweeps | SuperMixer
//   5      report, sweep              the demo chain and its report folder | sweeps: spec, points,
//                                     runners (local, Slurm, BullMQ), merged table
//   6      cli                        yargs commands: parse, call the library, print
//   7      index.ts (src/index.ts)    the public API: may re-export any layer but cli
//
// A file directly under src/ other than index.ts, or a folder not in the table, is an offender too
// (add it to LAYERS with its place).
//
// Size: a file over MAX_LINES lines must say why in its header comment, in a line
// ` * Over 500 lines because <reason>.` (within the first HEADER_LINES lines); otherwise split it by idea.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS = {
  core: 0,
  devices: 1,
  kernels: 1,
  data: 1,
  units: 2,
  photonic: 2,
  spice: 3,
  nn: 3,
  calibrate: 4,
  mixer: 4,
  report: 5,
  sweep: 5,
  cli: 6,
  'index.ts': 7,
};

export const MAX_LINES = 500;
const HEADER_LINES = 40;
const SIZE_REASON = /Over 500 lines because \S/;

const here = dirname(fileURLToPath(import.meta.url));
const ts = createRequire(import.meta.url)('typescript');

/** Relative imports of every .ts file under root/src: [{ from, to }] as paths relative to src/. */
export function importsOf(root) {
  const src = join(root, 'src');
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(m|c)?tsx?$/.test(e.name)) files.push(p);
    }
  };
  walk(src);
  const edges = [];
  const long = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const lines = text.split('\n');
    const n = lines.length - (text.endsWith('\n') ? 1 : 0);
    if (n > MAX_LINES && !SIZE_REASON.test(lines.slice(0, HEADER_LINES).join('\n'))) long.push({ file: rel(src, f), lines: n });
    const info = ts.preProcessFile(text, true, true);
    for (const imp of info.importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      const target = normalize(join(dirname(f), imp.fileName));
      edges.push({ from: rel(src, f), to: rel(src, target) });
    }
  }
  return { files: files.map((f) => rel(src, f)), edges, long };
}

const rel = (src, p) => relative(src, p).split(sep).join('/');
/** The folder of a path relative to src/ ('core', 'index.ts' for files directly under src/) */
const area = (p) => p.split('/')[0];

/** Cycles of a directed graph (Map node -> Set of nodes): one example cycle per strongly connected component. */
function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const self = (graph.get(v) ?? new Set()).has(v);
      if (comp.length > 1 || self) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** Offending imports and cycles under root: a list of one-line messages (empty when clean). */
export function check(root) {
  const { files, edges, long } = importsOf(root);
  const problems = [];
  for (const { file, lines } of long) {
    problems.push(`src/${file}: ${lines} lines, over ${MAX_LINES} without a reason in its header (split it by idea, or add a line ' * Over 500 lines because <reason>.' to its first comment)`);
  }
  for (const f of files) {
    if (!(area(f) in LAYERS)) problems.push(`${f}: folder '${area(f)}' has no layer (add it to LAYERS in scripts/check-architecture.mjs)`);
  }
  const fileGraph = new Map();
  const areaGraph = new Map();
  for (const { from, to } of edges) {
    if (!fileGraph.has(from)) fileGraph.set(from, new Set());
    fileGraph.get(from).add(to);
    const a = area(from);
    const b = area(to);
    if (a === b) continue;
    if (!areaGraph.has(a)) areaGraph.set(a, new Set());
    areaGraph.get(a).add(b);
    const la = LAYERS[a];
    const lb = LAYERS[b];
    if (la === undefined || lb === undefined) continue; // reported above
    if (b === 'cli' || lb >= la) {
      const kind = lb > la ? 'upward import' : 'import across one layer';
      problems.push(`${kind}: src/${from} (${a}, layer ${la}) imports src/${to} (${b}, layer ${lb})`);
    }
  }
  for (const c of cycles(fileGraph)) problems.push(`import cycle between files: ${c.map((f) => `src/${f}`).join(', ')}`);
  for (const c of cycles(areaGraph)) problems.push(`import cycle between folders: ${c.join(', ')}`);
  return { problems, files: files.length, imports: edges.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(here, '..'));
  const { problems, files, imports } = check(root);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) {
    process.stderr.write(`architecture check: ${problems.length} problem(s) in ${root}/src (layers and rules: scripts/check-architecture.mjs)\n`);
    process.exit(1);
  }
  process.stdout.write(`architecture check: ${files} files, ${imports} relative imports, no upward import, no cycle, no unexplained file over ${MAX_LINES} lines\n`);
}
