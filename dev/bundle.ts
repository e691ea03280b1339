// `npm run build`'s last step: the two entry points the image runs
// (dist/server/main.js, the service; dist/server/migrateMain.js, the
// migration job) each replaced by one file that holds it and everything it
// imports. Node's ESM loader resolves, stats and reads a package.json for
// every file of an import graph; drizzle-orm alone is 429 files, and
// resolution, not our code, was most of the start-up (docs/operations.md,
// Cold start). A bundle is resolved once.
//
// Left outside, loaded from node_modules at run time: the Secret Manager SDK
// (imported only when a setting is a secret reference; its protos are read
// from files next to its code) and what our code loads with createRequire
// (prom-client's parts, uPlot's files the page serves). Files read relative
// to import.meta.url (the page's own files, the migrations) stay where tsc
// put them: each module names them from a folder one level below dist/,
// which is where the bundles are too.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

/** How every bundle is made (bench/coldStartImports.ts bundles single packages with it). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: ['@google-cloud/secret-manager', 'google-gax'],
  // The CommonJS packages inside an ES module call require(): give them Node's.
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
  },
  logLevel: 'warning',
} satisfies BuildOptions;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { metafile } = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: ['dist/server/main.js', 'dist/server/migrateMain.js'],
    outdir: 'dist/server',
    allowOverwrite: true,
    metafile: true,
  });
  // What each bundle holds and leaves outside (test/e2e/bundle.test.ts reads it).
  writeFileSync('dist/bundle-meta.json', JSON.stringify(metafile));
}
