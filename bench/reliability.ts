/**
 * The reliability table of the README (issue 16): seeded fault and fuzz cases per input family and
 * engine fault, with their outcomes.
 *   npx tsx bench/reliability.ts [--seed 1] [--fault-cases 10] [--kills 6]
 * Columns: cases tried; accepted (the input was still valid / the run gave its own result); clear
 * errors (a typed FusemixError: DataError, ConfigError, NetlistError, EngineTimeout, ...); crashes
 * (any other exception, or a corrupt input trusted); hangs (no answer within the time limit);
 * half-written (a final output that does not parse or fails its checksum, or a temp run folder left
 * behind). Prints a markdown table. The same code runs (with fewer cases) in test/fuzz-parsers,
 * test/engine-faults, test/hardening-injection and test/hardening-runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FusemixError, UnsafeNetlist } from '../src/core/errors.ts';
import { stream } from '../src/core/rng.ts';
import { loadPreset } from '../src/devices/preset.ts';
import '../src/devices/index.ts';
import { jsonReplacer } from '../src/cli/util.ts';
import { type MixOptions, readCheckpoint, runMix } from '../src/mixer/index.ts';
import { createEngine, type EngineKind } from '../src/spice/engine.ts';
import { findNgspice } from '../src/spice/ngspice.ts';
import { tinyCsv } from '../test/helpers/data.ts';
import { FAULTS, runFault } from '../test/helpers/faults.ts';
import { fuzzAllFamilies } from '../test/helpers/fuzz.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, 'fault-cases': { type: 'string', default: '10' }, kills: { type: 'string', default: '6' } } });
const seed = Number(values.seed);
const faultCases = Number(values['fault-cases']);
const kills = Number(values.kills);
const ROOT = join(import.meta.dirname, '..');

interface Row {
  family: string;
  cases: number;
  accepted: number;
  clear: number;
  crashes: number;
  hangs: number;
  half: number | string;
}
const rows: Row[] = [];

// 1. parsers
for (const c of fuzzAllFamilies(seed)) {
  rows.push({ family: `fuzz: ${c.family}`, cases: c.cases, accepted: c.parsed, clear: c.clearErrors, crashes: c.crashes, hangs: c.hangs, half: 'n/a (reads only)' });
  for (const s of c.crashSamples) console.error(`crash: ${s}`);
}

// 2. engine faults
let haveBinary = true;
try {
  findNgspice();
} catch {
  haveBinary = false;
}
const engines: EngineKind[] = haveBinary ? ['wasm', 'ngspice'] : ['wasm'];
for (const kind of engines) {
  const shared = createEngine(kind);
  for (const fault of FAULTS) {
    const c = await runFault(kind, fault, faultCases, shared);
    rows.push({
      family: `${kind}: ${kind === 'wasm' && fault === 'missing binary' ? 'engine cannot start (1 ms start limit)' : fault === 'missing binary' ? 'missing / non-executable binary' : fault}`,
      cases: c.cases,
      accepted: 0,
      clear: c.clearErrors,
      crashes: c.crashes + c.staleVectors + c.leftoverProcesses,
      hangs: c.hangs,
      half: c.halfWritten,
    });
    for (const s of c.samples) console.error(`${kind} ${fault}: ${s}`);
    if (c.staleVectors || c.leftoverProcesses) console.error(`${kind} ${fault}: ${c.staleVectors} stale vectors, ${c.leftoverProcesses} leftover processes`);
  }
  await shared.close();
}

// 3. injection payloads: in every string field of a preset, and as a user netlist on each engine
const dir = mkdtempSync(join(tmpdir(), 'fusemix-reliability-'));
const marker = join(dir, 'pwned');
const commands = [`shell touch ${marker}`, `source ${join(dir, 'x.cir')}`, 'codemodel /tmp/x.cm', `echo \`shell touch ${marker}\``, 'set unixcom', `alias t shell\nt touch ${marker}`];
writeFileSync(join(dir, 'x.cir'), `* x\n.control\nshell touch ${marker}\n.endc\n`);
{
  const base = JSON.parse(readFileSync(join(ROOT, 'devices/macam-measured.json'), 'utf8')) as Record<string, any>;
  const fields: Array<(p: Record<string, any>, s: string) => void> = [(p, s) => (p.name = s), (p, s) => (p.description = s), (p, s) => (p.params.nmos.value = s), (p, s) => (p.params.nmos.source = s), (p, s) => (p.params.nmos.note = s)];
  const r: Row = { family: 'payload in a preset string field', cases: 0, accepted: 0, clear: 0, crashes: 0, hangs: 0, half: 0 };
  for (const cmd of commands) {
    for (const f of fields) {
      const p = structuredClone(base);
      f(p, `x\n.control\n${cmd}\n.endc\n*`);
      const file = join(dir, 'evil.json');
      writeFileSync(file, JSON.stringify(p));
      r.cases++;
      try {
        loadPreset(file);
        r.accepted++;
      } catch (e) {
        if (e instanceof FusemixError) r.clear++;
        else r.crashes++;
      }
    }
  }
  r.crashes += existsSync(marker) ? 1 : 0;
  rows.push(r);
  for (const kind of engines) {
    const eng = createEngine(kind);
    const n: Row = { family: `${kind}: payload in a user netlist`, cases: 0, accepted: 0, clear: 0, crashes: 0, hangs: 0, half: 0 };
    for (const cmd of commands) {
      n.cases++;
      try {
        await eng.run(`payload\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nrun\n${cmd}\n.endc\n.end\n`);
        n.accepted++;
      } catch (e) {
        if (e instanceof UnsafeNetlist) n.clear++;
        else n.crashes++;
      }
    }
    await eng.close();
    n.crashes += existsSync(marker) ? 1 : 0;
    rows.push(n);
  }
}

// 4. killed mix runs (SIGKILL at seeded moments), then resumed
{
  const data = tinyCsv(dir, 12);
  const opts: Partial<MixOptions> = { data, hidden: [8], poolSize: 3, pretrainEpochs: 12, searchEpochs: 4, finetuneEpochs: 4, batchSize: 16, seed: 7, nTest: 40 };
  const flags = ['--data', data, '--hidden', '8', '--pool', '3', '--epochs', '12', '--search-epochs', '4', '--finetune-epochs', '4', '--batch', '16', '--seed', '7', '--n-test', '40', '--threads', '1', '-q'];
  const reference = `${JSON.stringify(runMix(opts).result, jsonReplacer, 2)}\n`;
  const rng = stream(seed, 'reliability-kills');
  const r: Row = { family: 'mix killed (SIGKILL) and resumed', cases: 0, accepted: 0, clear: 0, crashes: 0, hangs: 0, half: 0 };
  for (let i = 0; i < kills; i++) {
    const out = join(dir, `kill-${i}`);
    const k = 1 + rng.int(8);
    const ms = rng.int(40);
    const child = spawn(process.execPath, [join(ROOT, 'bin/fusemix.js'), 'mix', ...flags, '--out', out], { stdio: 'ignore', detached: true, env: { ...process.env, FUSEMIX_HUGEPAGES: 'off' } });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    let done = false;
    void exited.then(() => (done = true));
    const count = () => (existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.ckpt.json')).length : 0);
    while (!done && count() < k) await new Promise((res) => setTimeout(res, 2));
    await new Promise((res) => setTimeout(res, ms));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* ended */
    }
    await exited;
    r.cases++;
    for (const f of readdirSync(out)) {
      const file = join(out, f);
      if (f.endsWith('.ckpt.json') && readCheckpoint(file, () => {}) === undefined) (r.half as number)++;
    }
    const res = spawnSync(process.execPath, [join(ROOT, 'bin/fusemix.js'), 'mix', ...flags, '--out', out], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FUSEMIX_HUGEPAGES: 'off' } });
    if (res.status === null) r.hangs++;
    else if (res.status === 0 && readFileSync(join(out, 'mix-b0.4.json'), 'utf8') === reference) r.accepted++;
    else r.crashes++;
  }
  rows.push(r);
}
rmSync(dir, { recursive: true, force: true });

const head = ['input family / fault', 'cases', 'accepted', 'clear errors', 'crashes', 'hangs', 'half-written'];
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
for (const r of rows) console.log(`| ${r.family} | ${r.cases} | ${r.accepted} | ${r.clear} | ${r.crashes} | ${r.hangs} | ${r.half} |`);
const total = rows.reduce((a, r) => ({ cases: a.cases + r.cases, crashes: a.crashes + r.crashes, hangs: a.hangs + r.hangs }), { cases: 0, crashes: 0, hangs: 0 });
console.log(`\n${total.cases} cases, ${total.crashes} crashes, ${total.hangs} hangs (seed ${seed}, ${faultCases} cases per engine fault, ${kills} kills)`);
