/**
 * vitest globalSetup: every test's temporary folders go under one scratch root for this run
 * (TMPDIR, which os.tmpdir() and the CLIs the tests spawn read), removed when the run ends, so a test
 * run leaves nothing in the machine's /tmp, also when a test fails before its own clean-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'fusemix-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
