/**
 * A run lock in an output folder: `<dir>/.fusemix.lock` holds the owner's pid, host, command and
 * start time. It is created atomically (written to a temp file, then hard-linked into place, which
 * fails if a lock exists), so two runs on one folder cannot both hold it. A lock whose pid is dead
 * on this host is stale (a killed run): it is taken over, with a message. A live one, or one from
 * another host (whose pid cannot be checked from here), makes the second run refuse (RunLocked, exit 2).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FusemixError } from './errors.ts';

/** Another run holds the folder (or its lock cannot be read): exit code 2, the owner named. */
export class RunLocked extends FusemixError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: this --out folder is in use: ${detail}`);
  }
}

export const LOCK_NAME = '.fusemix.lock';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started: string;
}

export interface RunLock {
  readonly file: string;
  /** remove the lock (only if it is still ours) */
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the lock of `dir` for `command`, or throw ConfigError naming the owner. `notice` hears the
 * take-over of a stale lock.
 */
export function acquireRunLock(dir: string, command: string, notice: (msg: string) => void = () => {}): RunLock {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const file = join(abs, LOCK_NAME);
  const me: LockInfo = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  const tmp = join(abs, `${LOCK_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
        return {
          file,
          release: () => {
            const cur = readLock(file);
            if (cur && cur.pid === me.pid && cur.host === me.host && cur.started === me.started) rmSync(file, { force: true });
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readLock(file);
      if (owner && owner.host === me.host && !alive(owner.pid)) {
        notice(`${file}: taking over a stale lock of ${owner.command} (pid ${owner.pid}, started ${owner.started}), which is no longer running`);
        // remove it only if it is still that stale lock
        const again = readLock(file);
        if (again && again.pid === owner.pid && again.started === owner.started) rmSync(file, { force: true });
        continue;
      }
      if (!owner) {
        throw new RunLocked(file, 'the lock file cannot be read; delete it if no fusemix run uses this folder');
      }
      throw new RunLocked(
        file,
        `locked by ${owner.command} (pid ${owner.pid} on ${owner.host}, started ${owner.started})${owner.host === me.host ? ', which is still running; wait for it or use another --out' : '; its pid cannot be checked from this host: delete the lock if that run is over'}`,
      );
    }
    throw new RunLocked(file, 'the lock keeps changing (another run is starting at the same time)');
  } finally {
    rmSync(tmp, { force: true });
  }
}
