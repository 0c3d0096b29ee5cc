/**
 * The engine interface both SPICE engines (wasm, ngspice) implement; engine.ts creates them. A file of
 * its own so that the engines need not import the module that creates them (no import cycle); the
 * plumbing they share (netlist preparation, log scanning, include names) is in ngspice.ts.
 */
import type { SpicePlot } from './raw.ts';

export type EngineKind = 'wasm' | 'ngspice';

export interface RunOptions {
  /** time limit of this run in ms (default: the engine's, 60 s); on expiry EngineTimeout */
  timeoutMs?: number;
  /** files the netlist `.include`s or `.lib`s, by the relative name it uses, with their contents */
  includes?: Record<string, string>;
  /** a name for error messages (e.g. the netlist file) */
  name?: string;
  /**
   * let the netlist's control block run programs (`shell`, `source`, `codemodel`, ...; see
   * ./guard.ts). Default false: such a netlist is refused with UnsafeNetlist before it runs.
   */
  allowShell?: boolean;
  /** limit of the raw output (bytes; the log is held to the smaller of this and 32 MiB); default 512 MiB */
  maxOutputBytes?: number;
}

export interface SpiceResult {
  engine: EngineKind;
  /** every plot the run produced, in the order ngspice created them */
  plots: SpicePlot[];
  /** ngspice's stdout and stderr of this run */
  log: string;
  /** warning lines found in the log (the run still succeeded) */
  warnings: string[];
  /** wall time of the run in ms (excluding engine start) */
  elapsedMs: number;
}

export interface SpiceEngine {
  readonly kind: EngineKind;
  run(netlist: string, opts?: RunOptions): Promise<SpiceResult>;
  /** release the worker / temp files; the engine cannot be used afterwards */
  close(): Promise<void>;
}
