/**
 * `fusemix doctor` and the environment switches: with neither accelerated backend loadable the js
 * kernels are chosen (and the reasons shown); FUSEMIX_KERNELS forces a backend; bad values exit 2.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

const MISSING = { FUSEMIX_BLAS_LIB: '/nonexistent/libopenblas.so.0', FUSEMIX_WASM: '/nonexistent/kernels.wasm' };

describe('fusemix doctor', () => {
  it('falls back to js when no accelerated backend loads, and says why', () => {
    const r = runCli(['doctor', '--json'], { env: { ...MISSING, FUSEMIX_KERNELS: '' } });
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as {
      node: string;
      kernels: { active: string; choice: string; backends: Array<{ name: string; available: boolean; detail: string }> };
      packages: Record<string, string | null>;
    };
    expect(d.node).toBe(process.version);
    expect(d.kernels.active).toBe('js');
    expect(d.kernels.choice).toBe('auto');
    const by = Object.fromEntries(d.kernels.backends.map((b) => [b.name, b]));
    expect(by.js!.available).toBe(true);
    expect(by.wasm!.available).toBe(false);
    expect(by.wasm!.detail).toMatch(/not built/);
    expect(by.blas!.available).toBe(false);
    expect(by.blas!.detail).toMatch(/no OpenBLAS library found/);
    expect(d.packages.koffi).toMatch(/^\d+\.\d+/);
  });

  it('FUSEMIX_KERNELS=js forces the js kernels; forcing a missing backend or a bad name exits 2', () => {
    const js = runCli(['doctor'], { env: { FUSEMIX_KERNELS: 'js' } });
    expect(js.code, js.stderr).toBe(0);
    expect(js.stdout).toMatch(/kernels: js active \(forced\)/);
    const missing = runCli(['doctor'], { env: { ...MISSING, FUSEMIX_KERNELS: 'blas' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/FUSEMIX_KERNELS.*'blas' is not: no OpenBLAS library found/);
    const bad = runCli(['doctor'], { env: { FUSEMIX_KERNELS: 'cuda' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/FUSEMIX_KERNELS.*one of js, wasm, blas, auto.*cuda/);
  });
});
