// The container's entry point: `node dist/server/main.js`.
import { registerFastPackageResolution } from './moduleResolution.js';

process.env.NODE_ENV ??= 'production';
// Before any dependency is imported: see moduleResolution.ts.
registerFastPackageResolution();

const { bootstrap } = await import('./bootstrap.js');
await bootstrap(process.env);
