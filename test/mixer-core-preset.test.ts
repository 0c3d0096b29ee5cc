/**
 * `mix --core <preset>`: the photonic core's block size, V_pi and V_max come from the preset, in the
 * network's weight mapping as in the energy (issue 15: no code defaults in mix). Checked against the
 * closed form of the modulator energy, B k b E_mod with B = ceil(M/k) ceil(N/k) blocks (bench-free:
 * the preset's own numbers, not the code's).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

const ROOT = join(import.meta.dirname, '..');
const QUICK = ['--epochs', '1', '--search-epochs', '1', '--finetune-epochs', '1', '--n-test', '200', '--hidden', '16', '--threads', '1', '--json', '-q'];

describe('mix --core', () => {
  it('a 4 x 4 block preset sets the mapping and the energy (modulator energy = B k bits E_mod)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusemix-core-'));
    const preset = JSON.parse(readFileSync(join(ROOT, 'devices', 'photonic-core-default.json'), 'utf8'));
    preset.name = 'core-k4';
    preset.params.block.value = 4;
    // plain SI numbers of our own, so the check does not lean on the code's unit parser
    preset.params.modulatorEnergyPerBit.value = 5e-13;
    preset.params.inputBits.value = 6;
    const file = join(dir, 'core-k4.json');
    writeFileSync(file, JSON.stringify(preset));
    const run = (extra: string[]) => {
      const r = runCli(['mix', ...QUICK, ...extra], { timeout: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { hardware: { presets: { photonicCore: string } }; systemEnergy: { digital: { itemsJ: Record<string, number> } } };
    };
    // fc0 is W^T of 16 x 784 on k x k blocks; fc1 is 10 x 16
    const blocks = (m: number, n: number, k: number) => Math.ceil(m / k) * Math.ceil(n / k);
    // the shipped preset: 450 fJ per bit, 8 bits, 8 x 8 blocks
    for (const [k, bits, eMod, args] of [[4, 6, 5e-13, ['--core', file]], [8, 8, 450e-15, []]] as const) {
      const j = run([...args]);
      expect(j.hardware.presets.photonicCore).toBe(k === 4 ? file : 'photonic-core-default');
      const mod0 = j.systemEnergy.digital.itemsJ['photonic.fc0.modulator']!;
      const mod1 = j.systemEnergy.digital.itemsJ['photonic.fc1.modulator']!;
      expect(mod0 / (blocks(16, 784, k) * k * bits * eMod)).toBeCloseTo(1, 12);
      expect(mod1 / (blocks(10, 16, k) * k * bits * eMod)).toBeCloseTo(1, 12);
    }
  });

  it('a core preset that does not load exits 2 naming it', () => {
    const r = runCli(['mix', ...QUICK, '--core', 'no-such-core']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-core/);
  });
});
