// The container's entry point: `node dist/server/main.js`, bundled with all
// it imports by dev/bundle.ts.
process.env.NODE_ENV ??= 'production';

// Imported after NODE_ENV is set: Express reads it when it loads.
const { bootstrap } = await import('./bootstrap.js');
await bootstrap(process.env);
