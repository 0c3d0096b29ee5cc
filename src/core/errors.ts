/**
 * Typed errors. Anything that is the user's fault (bad file, bad flag, bad data, an engine that is
 * not installed, a netlist ngspice rejects) is a FusemixError: the CLI prints its one-line message
 * and exits with code 2. Any other exception is a bug: exit code 1.
 */
export class FusemixError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad configuration value: names the file, the field, what was expected and what was found. */
export class ConfigError extends FusemixError {
  constructor(
    readonly file: string | undefined,
    readonly field: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(
      `${file ? `${file}: ` : ''}field '${field}': expected ${expected}, got ${describeValue(got)}`,
    );
  }
}

/** The user interrupted a run (Ctrl-C): exit code 130, as a shell reports SIGINT. */
export class Interrupted extends FusemixError {
  override readonly exitCode: number = 130;
}

/** Bad input data (CSV, IDX, measured curves). */
export class DataError extends FusemixError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${message}` : message);
  }
}

/** Base of everything a SPICE engine can report. */
export class SpiceError extends FusemixError {}
/** The engine (binary or WASM package) cannot be found or started. */
export class EngineNotFound extends SpiceError {}
/** A run exceeded its time limit and was stopped. */
export class EngineTimeout extends SpiceError {
  constructor(
    readonly timeoutMs: number,
    detail = '',
  ) {
    super(`SPICE run timed out after ${timeoutMs} ms${detail ? `: ${detail}` : ''}`);
  }
}
/** A netlist whose control block can run programs (shell, ...) and was not allowed to. */
export class UnsafeNetlist extends SpiceError {}
/** A run wrote more output (log or raw data) than its limit; it was stopped. */
export class EngineOutputTooLarge extends SpiceError {
  constructor(
    readonly limitBytes: number,
    what: string,
  ) {
    super(`SPICE run output too large: ${what} exceeded the limit of ${limitBytes} bytes; the run was stopped (raise maxOutputBytes, or save fewer vectors / points)`);
  }
}
/** ngspice rejected the netlist; `spiceMessage` carries ngspice's own words. */
export class NetlistError extends SpiceError {
  constructor(
    readonly spiceMessage: string,
    readonly netlistName = 'netlist',
  ) {
    super(`ngspice rejected ${netlistName}: ${spiceMessage}`);
  }
}
/** The simulation did not converge. */
export class ConvergenceError extends SpiceError {
  constructor(
    readonly spiceMessage: string,
    readonly netlistName = 'netlist',
  ) {
    super(`ngspice did not converge on ${netlistName}: ${spiceMessage}`);
  }
}

/** A short, single-line rendering of a value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v.length > 60 ? `${v.slice(0, 57)}...` : v}" (string)`;
  if (typeof v === 'number') return `${v} (number)`;
  if (typeof v === 'boolean') return `${v} (boolean)`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}... (object)` : `${s} (object)`;
  } catch {
    return typeof v;
  }
}
