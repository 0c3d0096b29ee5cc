import { findNgspice } from '../../src/spice/ngspice.ts';

/** Is the ngspice binary on this machine? */
export const haveNgspice = (() => {
  try {
    findNgspice();
    return true;
  } catch {
    return false;
  }
})();

/**
 * Tests that need the binary run when it is here, and always under CI (where a missing binary must
 * fail, not skip): they may skip only when it is absent and CI is unset.
 */
export const binaryTests = haveNgspice || Boolean(process.env.CI);
