// Start-up cost that is not ours: Node 24.22's ESM resolver asks, for every
// `.js` file it resolves, for the package's scope configuration
// (get_format → getPackageScopeConfig), and that spreads a freshly
// deserialized package.json whose lazy `exports` getter JSON-parses the whole
// exports map again each time. drizzle-orm's package.json is 179 KB and our
// import graph resolves 429 of its files: 77 MB of JSON parsed, 1.5 s and
// ~230 MB of garbage before the first request (measured: import of
// drizzle-orm, pg-core and postgres-js 1677 ms / 308 MB RSS; with this hook
// 177 ms / 72 MB). Node 20 cached the parsed map.
//
// The hook answers only what the default resolver would answer anyway for
// these packages: a relative `./…js` / `../…js` import from one of their own
// files, resolved against the importing file, staying inside the package,
// whose (only) package.json says "type": "module"; and a bare import of
// one of these packages from our own files (outside node_modules), which the
// default resolver answers once per specifier and the hook then remembers.
// Everything else goes to the default resolver. Remove when Node caches the parsed exports again
// (bench/coldStartImports.ts shows it).
import { registerHooks } from 'node:module';

/** Packages with a large exports map and a single "type": "module" package.json. */
const ESM_PACKAGES = ['drizzle-orm'];

const roots = ESM_PACKAGES.map((name) => `/node_modules/${name}/`);

function packageRoot(url: string): string | undefined {
  for (const root of roots) {
    const at = url.lastIndexOf(root);
    // No nested node_modules below the package's own folder.
    if (at >= 0 && url.indexOf('/node_modules/', at + root.length - 1) < 0) {
      return url.slice(0, at + root.length);
    }
  }
  return undefined;
}

function isBareImportOfPackage(specifier: string): boolean {
  return ESM_PACKAGES.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

export function registerFastPackageResolution(): void {
  const bare = new Map<string, { url: string; format?: string | null | undefined }>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (
        parent?.startsWith('file:') &&
        !parent.includes('/node_modules/') &&
        isBareImportOfPackage(specifier)
      ) {
        const key = `${specifier}\0${context.conditions.join(',')}`;
        let resolved = bare.get(key);
        if (!resolved) {
          const { url, format } = nextResolve(specifier, context);
          resolved = { url, format };
          bare.set(key, resolved);
        }
        return { ...resolved, shortCircuit: true };
      }
      if (
        parent?.startsWith('file:') &&
        (specifier.startsWith('./') || specifier.startsWith('../')) &&
        specifier.endsWith('.js')
      ) {
        const root = packageRoot(parent);
        if (root) {
          const url = new URL(specifier, parent).href;
          if (url.startsWith(root) && packageRoot(url) === root) {
            return { url, format: 'module', shortCircuit: true };
          }
        }
      }
      return nextResolve(specifier, context);
    },
  });
}
