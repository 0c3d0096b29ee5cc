/** Device models: each module registers its preset kind on import. */
export * from './preset.ts';
export * from './mtj.ts';
