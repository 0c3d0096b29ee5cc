/** File output that never leaves a half-written file: write to a temp file, then rename. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (holds devices/, templates/, netlists/). */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/**
 * Folder for derived data fusemix can always rebuild (e.g. the MNIST byte codes): FUSEMIX_CACHE_DIR,
 * else $XDG_CACHE_HOME/fusemix, else ~/.cache/fusemix (the system temp folder without a home).
 */
export function cacheDir(): string {
  const env = process.env;
  if (env.FUSEMIX_CACHE_DIR) return resolve(env.FUSEMIX_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'fusemix');
  let home = '';
  try {
    home = homedir();
  } catch {
    // no home folder for this user
  }
  return home ? join(home, '.cache', 'fusemix') : join(tmpdir(), 'fusemix-cache');
}

let cachedVersion: string | undefined;
/** fusemix's own version, from package.json. */
export function fusemixVersion(): string {
  if (!cachedVersion) {
    cachedVersion = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  }
  return cachedVersion;
}

/** Write `data` to `path` atomically (temp file in the same folder, then rename). Creates folders. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(resolve(path));
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** JSON.stringify replacer: typed arrays become plain arrays; non-finite numbers become strings so JSON stays valid. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface RunManifest {
  tool: 'fusemix';
  version: string;
  command: string;
  seed: number | string | null;
  presets: Record<string, string>;
  engine: string | null;
  node: string;
  platform: string;
  started: string;
  finished?: string;
  options?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  outputs?: string[];
}

/** A run manifest: what ran, with which seed, presets, engine and versions. */
export function makeManifest(
  command: string,
  fields: Partial<Omit<RunManifest, 'tool' | 'version' | 'node' | 'platform' | 'command'>> = {},
): RunManifest {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const deps: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    try {
      deps[name] = (
        JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
      ).version;
    } catch {
      deps[name] = 'not installed';
    }
  }
  return {
    tool: 'fusemix',
    version: fusemixVersion(),
    command,
    seed: fields.seed ?? null,
    presets: fields.presets ?? {},
    engine: fields.engine ?? null,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    started: fields.started ?? new Date().toISOString(),
    ...(fields.finished ? { finished: fields.finished } : {}),
    ...(fields.options ? { options: fields.options } : {}),
    dependencies: deps,
    ...(fields.outputs ? { outputs: fields.outputs } : {}),
  };
}
