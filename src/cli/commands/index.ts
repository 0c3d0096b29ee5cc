/** Every CLI command module, in the order `fusemix --help` lists them. One line each. */
import type { CommandModule } from 'yargs';
import { devicesCommand } from './devices.ts';
import { demoCommand } from './demo.ts';
import { makeInitCommand } from './init.ts';
import { cellCommand } from './cell.ts';
import { unitCommand } from './unit.ts';
import { simulateCommand } from './simulate.ts';
import { netlistCommand } from './netlist.ts';
import { verifyCommand } from './verify.ts';
import { meshCommand } from './mesh.ts';
import { calibrateCommand } from './calibrate.ts';
import { mixCommand } from './mix.ts';
import { paretoCommand } from './pareto.ts';
import { sweepCommand } from './sweep.ts';
import { doctorCommand } from './doctor.ts';

// biome-ignore lint: heterogeneous command argument types
export const commands: Array<CommandModule<any, any>> = [
  demoCommand,
  makeInitCommand(() => commands),
  devicesCommand,
  cellCommand,
  unitCommand,
  simulateCommand,
  netlistCommand,
  verifyCommand,
  meshCommand,
  calibrateCommand,
  mixCommand,
  paretoCommand,
  sweepCommand,
  doctorCommand,
];
