// The container's entry point: `node dist/server/main.js`.
process.env.NODE_ENV ??= 'production';

const { bootstrap } = await import('./bootstrap.js');
await bootstrap(process.env);
