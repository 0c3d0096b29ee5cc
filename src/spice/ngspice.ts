/**
 * The ngspice binary engine (one batch process per run), plus the ngspice-facing helpers both
 * engines share: how a netlist is wrapped in the control block that writes every plot to one binary
 * raw file, how ngspice's log is read for errors, and how `.include` files are found.
 *
 * ngspice exits 0 even when a control-block command or an analysis failed, so the log is scanned:
 * netlist errors become NetlistError, failed convergence ConvergenceError, each with ngspice's words.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { ConfigError, ConvergenceError, EngineNotFound, EngineOutputTooLarge, EngineTimeout, NetlistError } from '../core/errors.ts';
import type { RunOptions, SpiceEngine, SpiceResult } from './types.ts';
import { checkControlCommands } from './guard.ts';
import { parseRaw, type SpicePlot } from './raw.ts';

export interface NgspiceEngineOptions {
  /** path of the ngspice binary (default: $FUSEMIX_NGSPICE, else `ngspice` on PATH) */
  binary?: string;
  /** default time limit per run in ms */
  timeoutMs?: number;
  /** default output limit per run in bytes (see RunOptions.maxOutputBytes) */
  maxOutputBytes?: number;
}

// ---------------------------------------------------------------------------------------------
// Netlist preparation (shared with the wasm engine)

export type Flavor = 'wasm' | 'ngspice';

/**
 * Wrap a plain ngspice netlist for an engine: user `.control` blocks are lifted out (their commands
 * replace the default `run`, minus quit/exit, and for wasm minus `set filetype`), then one control
 * block runs the analyses and appends every plot except `const` to `rawFile` in binary format.
 * The wasm flavour starts with `destroy all` (plots persist between runs of one instance) and ends
 * with `remcirc` (so circuits do not pile up); the binary flavour ends with `quit`.
 */
export function prepareNetlist(netlist: string, flavor: Flavor, rawFile: string): string {
  const lines = netlist.replace(/\r\n?/g, '\n').split('\n');
  const title = lines[0] ?? '';
  const body: string[] = [];
  const user: string[] = [];
  let inControl = false;
  for (const line of lines.slice(1)) {
    const t = line.trim();
    if (inControl) {
      if (/^\.endc\b/i.test(t)) inControl = false;
      else if (/^(quit|exit)\b/i.test(t)) continue;
      else if (flavor === 'wasm' && /^set\s+filetype\b/i.test(t)) continue;
      else user.push(line);
      continue;
    }
    if (/^\.control\b/i.test(t)) {
      inControl = true;
      continue;
    }
    if (/^\.end$/i.test(t)) break;
    body.push(line);
  }
  const ctl = ['.control'];
  if (flavor === 'wasm') ctl.push('destroy all');
  if (user.some((l) => l.trim() !== '' && !l.trim().startsWith('*'))) ctl.push(...user);
  else ctl.push('run');
  if (flavor === 'ngspice') ctl.push('set filetype=binary');
  ctl.push(
    'set appendwrite',
    'foreach fusemix_p $plots',
    '  strcmp fusemix_c $fusemix_p const',
    '  if $fusemix_c ne 0',
    '    setplot $fusemix_p',
    `    write ${rawFile}`,
    '  end',
    'end',
  );
  if (flavor === 'wasm') ctl.push('remcirc');
  else ctl.push('quit');
  ctl.push('.endc');
  return [title, ...body, ...ctl, '.end', ''].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Log scanning (shared)

const CONVERGENCE = [
  /timestep too small/i,
  /gmin stepping failed/i,
  /source stepping failed/i,
  /iteration limit reached/i,
  /no convergence/i,
  /transient op(erating point)? failed/i,
  /dc solution failed/i,
];
const SINGULAR = /singular matrix/i;
const ERROR = [
  /^error\b/i,
  /\berror:/i,
  /fatal error/i,
  /simulation interrupted due to error/i,
  /\baborted\b/i,
  /no such vector/i,
  /\bunknown\b/i,
  /could not find/i,
  /not in the circuit/i,
  /unimplemented/i,
  /\bfailed\b/i,
];
const NOISE = /^(note:|trying gmin|circuit:|binary raw file|ascii raw file|doing analysis|no\. of data rows|ngspice-\d|using sparse)/i;

export interface LogScan {
  error?: { kind: 'netlist' | 'convergence'; message: string };
  warnings: string[];
}

/**
 * Read ngspice's error stream: the first error line with the few lines after it (ngspice prints
 * "Error on line N", the offending line, then the reason) make the message. A singular matrix that
 * gmin stepping recovered from is only a warning; with a failure it is a convergence error.
 */
export function scanLog(stderr: string): LogScan {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const warnings = lines.filter((l) => /^warning\b/i.test(l));
  const isConv = (l: string) => CONVERGENCE.some((re) => re.test(l));
  const isErr = (l: string) => !NOISE.test(l) && !/^warning\b/i.test(l) && (isConv(l) || ERROR.some((re) => re.test(l)));
  const first = lines.findIndex(isErr);
  if (first < 0) return { warnings };
  if (lines.some(isConv) || lines.some((l) => SINGULAR.test(l))) {
    const msg = lines.filter((l) => isConv(l) || SINGULAR.test(l) || isErr(l));
    return { error: { kind: 'convergence', message: [...new Set(msg)].slice(0, 5).join('; ') }, warnings };
  }
  // "Error on line N or its substitute:", the line, the reason: keep the few lines after the first
  const msg = lines.slice(first, first + 4).filter((l) => !/^warning\b/i.test(l) && !NOISE.test(l));
  return { error: { kind: 'netlist', message: [...new Set(msg)].join('; ') }, warnings };
}

/** Throw the typed error a log scan found. */
export function throwIfFailed(scan: LogScan, name: string): void {
  if (!scan.error) return;
  if (scan.error.kind === 'convergence') throw new ConvergenceError(scan.error.message, name);
  throw new NetlistError(scan.error.message, name);
}

// ---------------------------------------------------------------------------------------------
// Include files (shared)

/** Paths a netlist `.include`s / `.inc`s / `.lib`s (with a section), as written. */
export function includePaths(netlist: string): string[] {
  const out: string[] = [];
  for (const line of netlist.split(/\r?\n/)) {
    const m = /^\s*\.(include|inc|lib)\s+("[^"]+"|'[^']+'|\S+)(\s+\S+)?/i.exec(line);
    if (!m) continue;
    if (m[1]!.toLowerCase() === 'lib' && !m[3]) continue; // `.lib section` opens a section
    out.push(m[2]!.replace(/^["']|["']$/g, ''));
  }
  return out;
}

/**
 * Read the files a netlist includes from disk, recursively, relative ones resolved against
 * `baseDir`. Returns relative ones keyed as written (for RunOptions.includes) and absolute ones
 * keyed by their absolute path. Missing files are left out (ngspice will report them).
 */
export function readHostIncludes(netlist: string, baseDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (text: string, dir: string, prefix: string) => {
    for (const p of includePaths(text)) {
      const key = isAbsolute(p) ? p : normalize(join(prefix, p));
      if (key in out) continue;
      const file = isAbsolute(p) ? p : resolve(dir, p);
      if (!existsSync(file)) continue;
      const content = readFileSync(file, 'utf8');
      out[key] = content;
      visit(content, dirname(file), isAbsolute(p) ? '' : dirname(key));
    }
  };
  visit(netlist, baseDir, '');
  return out;
}

/** Check an include name is relative and stays inside the run folder; returns it normalised. */
export function checkIncludeName(name: string): string {
  const n = normalize(name).replace(/\\/g, '/');
  if (isAbsolute(name) || n.startsWith('../') || n === '..' || n === '' || n === '.') {
    throw new ConfigError(undefined, `includes["${name}"]`, 'a relative file name inside the run folder', name);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// The binary engine

/** Find the ngspice binary: explicit path, $FUSEMIX_NGSPICE, or `ngspice` on PATH. */
export function findNgspice(binary?: string): string {
  const given = binary ?? process.env.FUSEMIX_NGSPICE;
  if (given) {
    if (existsSync(given)) return given;
    throw new EngineNotFound(
      `ngspice binary not found at "${given}"${binary ? '' : ' ($FUSEMIX_NGSPICE)'}; install it (apt-get install ngspice) or use --engine wasm`,
    );
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'ngspice');
    if (existsSync(p)) return p;
  }
  throw new EngineNotFound(
    'ngspice binary not found on PATH; install it (apt-get install ngspice), set FUSEMIX_NGSPICE, or use --engine wasm',
  );
}

const RAW = 'fusemix.raw';

/** Default time limit of one run. Every run has one; pass `timeoutMs` to change it. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** Default limit of one run's raw output (bytes); the log is held to min(this, LOG_LIMIT_BYTES). */
export const DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
export const LOG_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * The checks every run makes before ngspice sees the netlist: control commands that can run
 * programs are refused unless allowed (in the netlist, the include files given, and the absolute
 * includes read from the host). Returns the output limit of the run.
 */
export function preflight(netlist: string, name: string, opts: RunOptions, engineMax?: number): number {
  const abs = Object.fromEntries(Object.entries(readHostIncludes(netlist, process.cwd())).filter(([k]) => isAbsolute(k)));
  checkControlCommands(netlist, name, { ...abs, ...(opts.includes ?? {}) }, opts.allowShell ?? false);
  const max = opts.maxOutputBytes ?? engineMax ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!(max > 0)) throw new ConfigError(undefined, 'maxOutputBytes', 'a positive number of bytes', max);
  return max;
}

export class NgspiceEngine implements SpiceEngine {
  readonly kind = 'ngspice' as const;
  private binary: string | undefined;
  private closed = false;
  constructor(private readonly opts: NgspiceEngineOptions = {}) {}

  async run(netlist: string, opts: RunOptions = {}): Promise<SpiceResult> {
    if (this.closed) throw new EngineNotFound('the ngspice engine was closed');
    this.binary ??= findNgspice(this.opts.binary);
    const name = opts.name ?? 'netlist';
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = preflight(netlist, name, opts, this.opts.maxOutputBytes);
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-ngspice-'));
    try {
      for (const [file, content] of Object.entries(opts.includes ?? {})) {
        const rel = checkIncludeName(file);
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), content);
      }
      writeFileSync(join(dir, 'circuit.cir'), prepareNetlist(netlist, 'ngspice', RAW));
      const t0 = performance.now();
      const { stdout, stderr } = await runProcess(this.binary, ['-b', 'circuit.cir'], dir, timeoutMs, name, Math.min(maxBytes, LOG_LIMIT_BYTES));
      const elapsedMs = performance.now() - t0;
      const scan = scanLog(stderr);
      throwIfFailed(scan, name);
      const rawPath = join(dir, RAW);
      if (existsSync(rawPath) && statSync(rawPath).size > maxBytes) throw new EngineOutputTooLarge(maxBytes, `the raw file of ${name} (${statSync(rawPath).size} bytes)`);
      const plots: SpicePlot[] = existsSync(rawPath) ? parseRaw(readFileSync(rawPath), `${name} (raw output)`) : [];
      if (plots.length === 0) {
        const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join('; ');
        throw new NetlistError(`no analysis produced output${tail ? ` (${tail})` : ''}`, name);
      }
      return { engine: 'ngspice', plots, log: stdout + stderr, warnings: scan.warnings, elapsedMs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function runProcess(
  bin: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  name: string,
  logLimit = LOG_LIMIT_BYTES,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let tooLarge = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole process group
      } catch {
        child.kill('SIGKILL');
      }
    };
    const onData = (which: 'out' | 'err') => (d: string) => {
      if (tooLarge) return;
      if (which === 'out') stdout += d;
      else stderr += d;
      if (stdout.length + stderr.length > logLimit) {
        tooLarge = true;
        stdout = stdout.slice(0, 4096);
        stderr = stderr.slice(0, 4096);
        killGroup();
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData('out'));
    child.stderr.setEncoding('utf8').on('data', onData('err'));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? new EngineNotFound(`cannot start ngspice "${bin}" (${e.code}); install it (apt-get install ngspice) or use --engine wasm`)
          : e,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) reject(new EngineTimeout(timeoutMs, `ngspice on ${name} was killed`));
      else if (tooLarge) reject(new EngineOutputTooLarge(logLimit, `the log of ngspice on ${name}`));
      else resolvePromise({ stdout, stderr, code });
    });
  });
}
