/** Device models: each module registers its preset kind on import. */
export * from './preset.ts';
export * from './mtj.ts';
export * from './dwmtj.ts';
export * from './mosfet.ts';
export * from './macam.ts';
export * from './adc.ts';
export * from './digital.ts';
export * from './photodetector.ts';
export * from './view.ts';
