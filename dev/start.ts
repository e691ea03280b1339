// `npm start`: with POSTGRES_MAIN_HOST unset, a real local primary + streaming
// replica; otherwise the given hosts. Ctrl-C stops the server and both
// PostgreSQL processes.
import { ConfigError, parseConfig } from '../config/config.js';
import { log } from '../server/log.js';
import { startService } from '../server/service.js';
import { onShutdownSignal } from '../server/shutdown.js';
import { type LocalDefault, startLocalDefault } from './localDefault.js';

let local: LocalDefault | undefined;
try {
  if (!process.env.POSTGRES_MAIN_HOST) {
    console.log('starting the local primary and streaming replica (.local-cluster/)…');
    local = await startLocalDefault();
  }
  const config = parseConfig({ ...process.env, ...local?.env });
  const service = await startService(config, { log, ...(local ? { host: '127.0.0.1' } : {}) });
  onShutdownSignal(log, async () => {
    await service.close();
    await local?.pair.stop();
  });

  console.log(`\n${config.functionTarget} is serving on ${service.url}`);
  if (local) {
    console.log(
      `primary 127.0.0.1:${local.pair.primary.port}, replica 127.0.0.1:${local.pair.replica.port}`,
    );
  }
  const user = local?.generatedCredentials;
  if (user) {
    console.log(
      `generated Basic credentials (kept in .local-cluster/state.json): ${user.username} / ${user.password}`,
    );
    console.log(`try: curl -u ${user.username}:${user.password} ${service.url}/country/US`);
  } else {
    console.log(
      `try: curl -u "$BASIC_AUTH_USERNAME:$BASIC_AUTH_PASSWORD" ${service.url}/country/US`,
    );
  }
  console.log('Ctrl-C stops the server and both PostgreSQL processes.');
} catch (error) {
  await local?.pair.stop();
  log('ERROR', error instanceof ConfigError ? error.message : `start-up failed: ${String(error)}`);
  process.exit(1);
}
