// The library entry of the package (package.json exports "." for `import ... from 'fusemix'` in plain
// JavaScript and in compiled TypeScript): the bundled build, build/js/index.mjs, made by
// scripts/bundle.mjs on install and on `npm pack`. Its types are build/types (tsconfig.build.json).
// The bundle must have been built from the sources beside it (the content hash of src/** and
// package.json, as bin/fusemix.js checks): after an edit of the sources in a checkout it refuses to
// run stale code and says what to do. In a checkout, `--conditions=fusemix-source` (e.g.
// `npx tsx --conditions=fusemix-source script.ts`) loads the TypeScript sources instead.
import './check-bundle.mjs';
export * from '../build/js/index.mjs';
