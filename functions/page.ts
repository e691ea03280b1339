import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { notFound } from '../http/problems.js';
import { operation, type Route } from '../http/route.js';
import * as answer from './answers.js';

// The live page and what it loads, all from this origin: no CDN, no front-end
// build. uPlot comes from its npm package; the page's own files sit in page/
// beside this module (copied to dist/ by the build). Named from the folder
// above, so that the bundle in dist/server/ (dev/bundle.ts) finds them too.
const require = createRequire(import.meta.url);
const own = (name: string) => fileURLToPath(new URL(`../functions/page/${name}`, import.meta.url));
const uplot = (name: string) => require.resolve(`uplot/dist/${name}`);

const ASSETS = {
  'uPlot.iife.min.js': { file: uplot('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: uplot('uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'page.js': { file: own('page.js'), type: 'text/javascript; charset=utf-8' },
  'page.css': { file: own('page.css'), type: 'text/css; charset=utf-8' },
} as const;
type AssetName = keyof typeof ASSETS;

const loaded = new Map<string, Buffer>();
const read = (file: string) => {
  const data = loaded.get(file) ?? readFileSync(file);
  loaded.set(file, data);
  return data;
};

// The page's own script and styles are its code, not data: the browser may keep
// them an hour (the one authenticated answer that is not no-store).
const CACHE = { 'Cache-Control': 'private, max-age=3600' };

// The page is framed by no one (clickjacking), runs only this origin's
// scripts (it has no inline ones), and has no forms, plugins or base URL to
// redirect. X-Frame-Options for browsers that predate frame-ancestors.
const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "frame-ancestors 'none'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
  'X-Frame-Options': 'DENY',
};

/** GET /: the live page; GET /assets/{name}: its script and styles; both under Basic auth. */
export function pageRoutes(): Route[] {
  return [
    {
      path: '/',
      auth: true,
      operations: {
        GET: operation({
          summary: 'The live page: lag per replica over the last hour, states, slots, events',
          answers: { 200: { description: 'HTML' }, 401: answer.unauthorized },
          handle: () => ({
            status: 200,
            content: { type: 'text/html; charset=utf-8', data: read(own('index.html')) },
            headers: PAGE_HEADERS,
          }),
        }),
      },
    },
    {
      // Under the same Basic auth as the page: the browser sends its credentials along.
      path: '/assets/{name}',
      auth: true,
      operations: {
        GET: operation({
          summary: 'The live page’s script, styles and chart library',
          params: v.strictObject({ name: v.string() }),
          answers: {
            200: { description: 'The asset' },
            401: answer.unauthorized,
            404: answer.notFound,
          },
          handle: ({ params }) => {
            if (!Object.hasOwn(ASSETS, params.name)) throw notFound(`no asset ${params.name}`);
            const asset = ASSETS[params.name as AssetName];
            return {
              status: 200,
              content: { type: asset.type, data: read(asset.file) },
              headers: CACHE,
            };
          },
        }),
      },
    },
  ];
}
