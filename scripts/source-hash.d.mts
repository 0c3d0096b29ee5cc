// Types of scripts/source-hash.mjs (plain JavaScript so that bin/fusemix.js can load it without tsx).
export function bundleSources(root: string): string[];
export function sourceHash(root: string): string;
export const MANIFEST: string;
