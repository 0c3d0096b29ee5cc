#!/usr/bin/env node
/**
 * The README check: runs every command of every ```bash block of README.md, as a new user would, and
 * fails when a command fails, names a flag its command does not have, or writes into the checkout.
 *
 *   node scripts/readme-check.mjs [--readme README.md] [--jobs 1] [--json] [--keep]
 *
 * How it runs
 * - Each block runs in a fresh temporary folder, its commands one after another (later commands read
 *   what earlier ones wrote), each through `bash -o pipefail -c`, so redirections work as typed.
 *   Blocks share nothing, so --jobs 2 runs two at once (default 1: on 2 busy cores it was slower).
 * - `npx fusemix ...` and `fusemix ...` run this checkout's bin/fusemix.js: a shim folder first on PATH
 *   holds `npx` and `fusemix` scripts. We use a shim rather than installing the packed tarball because
 *   installing it fetches its dependencies from the registry and builds them (minutes, and network);
 *   the shim runs exactly what a clone has after `npm install`. Any other `npx <tool>` fails, so
 *   nothing is fetched.
 * - The README's commands are written for a clone's root folder, and read example inputs from it
 *   (examples/data/*.csv, templates/models/*.lib). The temporary folder therefore holds links to the
 *   checkout's `examples/` and `templates/`, and nothing else of it.
 * - Flags: yargs runs in strict mode (an unknown flag exits 2), and in addition every `--flag` and
 *   `-f` of a fusemix command must appear in that command's `--help`.
 * - Afterwards `git status --porcelain` of the checkout must be what it was before: no command may
 *   write into the package (through the links or otherwise).
 *
 * What is skipped, explicitly (each skip is printed with its reason):
 * - a whole block, when the line before its opening fence is `<!-- readme-test: skip -->`;
 * - commands that set up a machine rather than use fusemix (SKIP_COMMANDS below): `npm install` /
 *   `npm ci` (the checkout is installed already; `npm install && X` runs X), `npm test` (this check
 *   is part of it), `apt-get` / `apt` / `sudo`;
 * - a command with `--engine ngspice` when the ngspice binary is absent and CI is not 'true'.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SKIP_MARKER = '<!-- readme-test: skip -->';

/** Commands that set up a machine; `strip` runs the rest after `&&`. */
export const SKIP_COMMANDS = [
  { re: /^npm\s+(install|i|ci)\b[^&]*(&&\s*(.*))?$/, reason: 'installs packages (the checkout is installed already)', rest: 3 },
  { re: /^npm\s+(test|t|run\s+test)\b/, reason: 'runs the test suite (this check is part of it)' },
  { re: /^(sudo\s|apt-get\s|apt\s)/, reason: 'installs system packages' },
];

/** Folders of the checkout linked into each block's folder: the inputs the README's commands read. */
export const LINKED = ['examples', 'templates'];

/**
 * The ```bash blocks of a markdown text: their line, whether a skip marker precedes them, and their
 * commands (comment lines dropped, backslash continuations joined).
 */
export function extractBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)```+\s*(bash|sh|shell|console)\s*$/.exec(lines[i]);
    if (!m) continue;
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    const skip = prev >= 0 && lines[prev].trim() === SKIP_MARKER;
    const commands = [];
    let j = i + 1;
    let pending = null;
    for (; j < lines.length && !/^\s*```/.test(lines[j]); j++) {
      const raw = lines[j].replace(/^\s*\$\s+/, '');
      if (pending) {
        pending.text += ` ${raw.trim()}`;
      } else {
        if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
        pending = { text: raw.trim(), line: j + 1 };
      }
      if (pending.text.endsWith('\\')) pending.text = pending.text.slice(0, -1).trimEnd();
      else {
        commands.push(pending);
        pending = null;
      }
    }
    if (pending) commands.push(pending);
    blocks.push({ line: i + 1, lang: m[2], skip, commands });
    i = j;
  }
  return blocks;
}

/** What to do with one command: run it (possibly a rest of it) or skip it, with the reason. */
export function planCommand(text, { ngspice = true } = {}) {
  const cmd = stripComment(text).trim();
  for (const s of SKIP_COMMANDS) {
    const m = s.re.exec(cmd);
    if (!m) continue;
    if (s.rest && m[s.rest]) return { run: m[s.rest].trim(), note: `"${cmd.slice(0, cmd.indexOf('&&')).trim()}" skipped: ${s.reason}` };
    return { skip: s.reason };
  }
  if (!ngspice && /--engine(\s+|=)ngspice\b/.test(cmd)) return { skip: 'the ngspice binary is absent (CI is not true)' };
  return { run: cmd };
}

/** The command without a trailing `# comment` (outside quotes). */
export function stripComment(text) {
  let q = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) return text.slice(0, i).trimEnd();
  }
  return text;
}

/** Shell words of a command (quotes removed), split into its pipeline/list parts. */
export function shellWords(cmd) {
  const parts = [[]];
  let w = '';
  let q = null;
  let inWord = false;
  const end = () => {
    if (inWord) parts[parts.length - 1].push(w);
    w = '';
    inWord = false;
  };
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (q) {
      if (c === q) q = null;
      else w += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      inWord = true;
    } else if (/\s/.test(c)) end();
    else if (c === '|' || c === '&' || c === ';') {
      end();
      while (cmd[i + 1] === '|' || cmd[i + 1] === '&') i++;
      parts.push([]);
    } else if (c === '>' || c === '<') {
      end();
      // drop the redirection target
      while (cmd[i + 1] === '>' || cmd[i + 1] === '&') i++;
      while (/\s/.test(cmd[i + 1] ?? '')) i++;
      while (i + 1 < cmd.length && !/\s/.test(cmd[i + 1])) i++;
    } else {
      w += c;
      inWord = true;
    }
  }
  end();
  return parts.filter((p) => p.length);
}

/** The fusemix invocations of a command: { words before the first flag, flags }. */
export function fusemixCalls(cmd) {
  const calls = [];
  for (const p of shellWords(cmd)) {
    let k = 0;
    if (p[0] === 'npx' && p[1] === 'fusemix') k = 2;
    else if (p[0] === 'fusemix') k = 1;
    else continue;
    const rest = p.slice(k);
    const first = rest.findIndex((x) => x.startsWith('-'));
    const words = first < 0 ? rest : rest.slice(0, first);
    const flags = rest.filter((x) => /^-{1,2}[A-Za-z]/.test(x)).map((x) => x.split('=')[0]);
    calls.push({ words, flags });
  }
  return calls;
}

/** The flags of `flags` that the help text does not list. */
export function unknownFlags(flags, help) {
  return flags.filter((f) => {
    const name = f.startsWith('--no-') ? `--${f.slice(5)}` : f;
    const re = name.startsWith('--') ? new RegExp(`(^|[\\s,\\[])${escape(name)}(?![\\w-])`, 'm') : new RegExp(`(^|\\s)${escape(name)},`, 'm');
    return !re.test(help);
  });
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function hasNgspice() {
  const r = spawnSync('ngspice', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 || /ngspice/i.test(`${r.stdout}${r.stderr}`);
}

function gitStatus() {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: REPO, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

function makeShims(dir) {
  mkdirSync(dir, { recursive: true });
  const node = JSON.stringify(process.execPath);
  const bin = JSON.stringify(join(REPO, 'bin', 'fusemix.js'));
  writeFileSync(
    join(dir, 'npx'),
    `#!/bin/sh\n# readme-check shim: npx fusemix runs the checkout\nif [ "$1" = fusemix ]; then shift; exec ${node} ${bin} "$@"; fi\necho "readme-check: npx $1 is not available in the README check (only npx fusemix)" >&2\nexit 127\n`,
  );
  writeFileSync(join(dir, 'fusemix'), `#!/bin/sh\nexec ${node} ${bin} "$@"\n`);
  chmodSync(join(dir, 'npx'), 0o755);
  chmodSync(join(dir, 'fusemix'), 0o755);
}

/** Run a shell command, collecting its output (no time limit beyond `timeoutMs`). */
function runShell(cmd, { cwd, env, timeoutMs = 600_000 }) {
  return new Promise((done) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', cmd], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout = (stdout + d).slice(-200_000)));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-200_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, stdout, stderr });
    });
  });
}

/**
 * Run the README. Blocks are independent (each has its own folder), so `jobs` of them run at once;
 * the commands of one block run in order.
 */
export async function runReadme({ readme = join(REPO, 'README.md'), log = (s) => process.stderr.write(`${s}\n`), keep = false, jobs = 1 } = {}) {
  const t0 = Date.now();
  const blocks = extractBlocks(readFileSync(readme, 'utf8'));
  const ngspice = hasNgspice() || process.env.CI === 'true';
  const root = mkdtempSync(join(tmpdir(), 'fusemix-readme-'));
  const shims = join(root, '.shims');
  makeShims(shims);
  const env = { ...process.env, PATH: `${shims}:${process.env.PATH ?? ''}` };
  delete env.FUSEMIX_PRESETS;
  const before = gitStatus();
  const results = [];
  const helpCache = new Map();
  const helpOf = (words, cwd) => {
    const key = words.join(' ');
    if (!helpCache.has(key)) {
      const r = spawnSync(process.execPath, [join(REPO, 'bin', 'fusemix.js'), ...words, '--help'], { cwd, env, encoding: 'utf8', timeout: 60_000 });
      helpCache.set(key, `${r.stdout}`);
    }
    return helpCache.get(key);
  };
  const runBlock = async (b, bi) => {
    if (b.skip) {
      for (const c of b.commands) results.push({ line: c.line, command: c.text, status: 'skipped', reason: `block marked ${SKIP_MARKER}` });
      log(`README.md:${b.line}: block skipped (${SKIP_MARKER})`);
      return;
    }
    const cwd = join(root, `block-${bi + 1}`);
    mkdirSync(cwd);
    for (const l of LINKED) symlinkSync(join(REPO, l), join(cwd, l));
    for (const c of b.commands) {
      const plan = planCommand(c.text, { ngspice });
      if (plan.skip) {
        results.push({ line: c.line, command: c.text, status: 'skipped', reason: plan.skip });
        log(`README.md:${c.line}: skipped (${plan.skip}): ${c.text}`);
        continue;
      }
      if (plan.note) log(`README.md:${c.line}: ${plan.note}`);
      // flags first: a command naming a flag that does not exist fails even if it would run
      const bad = [];
      for (const call of fusemixCalls(plan.run)) bad.push(...unknownFlags(call.flags, helpOf(call.words, cwd)).map((f) => `${f} (not in fusemix ${call.words.join(' ')} --help)`));
      const t = Date.now();
      const r = await runShell(plan.run, { cwd, env });
      const seconds = (Date.now() - t) / 1000;
      const failed = r.status !== 0 || bad.length > 0;
      const reason = r.status !== 0 ? `exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join(' | ')}` : bad.length ? `names a flag that does not exist: ${bad.join(', ')}` : undefined;
      results.push({ line: c.line, command: plan.run, status: failed ? 'failed' : 'ok', seconds, ...(reason ? { reason } : {}) });
      log(`README.md:${c.line}: ${failed ? 'FAILED' : 'ok'} ${seconds.toFixed(1)} s: ${plan.run}${reason ? `\n    ${reason}` : ''}`);
    }
  };
  // longest blocks first, `jobs` at a time
  const queue = blocks.map((b, i) => [b, i]).sort((x, y) => y[0].commands.length - x[0].commands.length);
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await runBlock(next[0], next[1]);
    }),
  );
  results.sort((x, y) => x.line - y.line);
  const after = gitStatus();
  let written = [];
  if (before !== null && after !== null && after !== before) {
    const was = new Set(before.split('\n'));
    written = after.split('\n').filter((l) => l && !was.has(l));
    log(`the checkout changed while the README ran:\n  ${written.join('\n  ')}`);
  }
  if (!keep) rmSync(root, { recursive: true, force: true });
  const failed = results.filter((r) => r.status === 'failed').length;
  const seconds = (Date.now() - t0) / 1000;
  return { ok: failed === 0 && written.length === 0, blocks: blocks.length, results, failed, checkoutChanged: written, gitChecked: before !== null, seconds, ...(keep ? { folder: root } : {}) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--readme');
  const jobsAt = args.indexOf('--jobs');
  const report = await runReadme({
    ...(at >= 0 ? { readme: resolve(args[at + 1]) } : {}),
    ...(jobsAt >= 0 ? { jobs: Number(args[jobsAt + 1]) } : {}),
    keep: args.includes('--keep'),
  });
  const ran = report.results.filter((r) => r.status !== 'skipped').length;
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(
    `README check: ${report.blocks} blocks, ${ran} commands run, ${report.results.length - ran} skipped, ${report.failed} failed${report.checkoutChanged.length ? `, the checkout changed (${report.checkoutChanged.length} entries)` : ''}${report.gitChecked ? '' : ' (not a git checkout: the write check did not run)'}; ${report.seconds.toFixed(1)} s\n`,
  );
  process.exitCode = report.ok ? 0 : 1;
}
