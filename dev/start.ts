// `npm start`: with POSTGRES_MAIN_HOST unset, a real local primary and its
// streaming standbys; otherwise the given hosts. Ctrl-C stops the server and
// every PostgreSQL process.
process.env.NODE_ENV ??= 'production';

import { readOption } from '../config/config.js';
import { parseSecretSetting } from '../config/secretReference.js';
import { bootstrap, createProcessLogger } from '../server/bootstrap.js';

const log = createProcessLogger();

import { type LocalDefault, startLocalDefault } from './localDefault.js';
import { startSampler } from './sampler.js';

let local: LocalDefault | undefined;
if (!readOption(process.env, 'POSTGRES_MAIN_HOST')) {
  console.log('starting the local primary and its streaming standbys…');
  try {
    local = await startLocalDefault();
  } catch (error) {
    log('ERROR', `the local cluster did not start: ${String(error)}`);
    process.exit(1);
  }
}
const service = await bootstrap(
  { ...process.env, ...local?.env },
  { ...(local ? { host: '127.0.0.1' } : {}), afterClose: async () => local?.cluster.stop() },
);

console.log(`\n${readOption(process.env, 'FUNCTION_TARGET')} is serving on ${service.url}`);
if (local) {
  const { primary, standbys } = local.cluster;
  console.log(`primary   127.0.0.1:${primary.port}`);
  for (const [index, standby] of standbys.entries()) {
    const reads = index === 0 ? ' (replica reads)' : '';
    console.log(`standby ${index + 1} 127.0.0.1:${standby.port}, streaming, verified${reads}`);
  }
}
const user = local?.generatedCredentials;
const kept = local?.credentialsFile;
if (user && kept) {
  // Once: the start that generated them. Later starts say where they are.
  console.log(
    `generated Basic credentials (printed this once; kept in ${kept}): ${user.username} / ${user.password}`,
  );
  console.log(`try: curl -u ${user.username}:${user.password} ${service.url}/country/US`);
} else if (kept) {
  const read = `node -p "Object.values(require('${kept}').basicAuth).join(':')"`;
  console.log(
    `Basic credentials: generated on the first start and kept in ${kept} (basicAuth), not printed again`,
  );
  console.log(`read them with: ${read}`);
  console.log(`try: curl -u "$(${read})" ${service.url}/country/US`);
} else {
  console.log(
    'Basic credentials: from BASIC_AUTH_USERNAME / BASIC_AUTH_PASSWORD (a missing one is in the state file)',
  );
  console.log(`try: curl -u "$BASIC_AUTH_USERNAME:$BASIC_AUTH_PASSWORD" ${service.url}/country/US`);
}

// The page needs sampling windows; Cloud Scheduler drives them in a
// deployment, this process does locally (with credentials it knows as values).
const target = readOption(process.env, 'FUNCTION_TARGET');
const username = parseSecretSetting(local?.env.BASIC_AUTH_USERNAME ?? '');
const password = parseSecretSetting(local?.env.BASIC_AUTH_PASSWORD ?? '');
if ((target === 'api' || target === 'replicationCheck') && local) {
  const basic =
    username.kind === 'literal' && password.kind === 'literal'
      ? `Basic ${Buffer.from(`${username.value}:${password.value}`).toString('base64')}`
      : undefined;
  if (basic || target === 'replicationCheck') {
    const sampler = startSampler(service.url, basic ?? '');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => sampler.stop());
    if (target === 'api') {
      console.log(
        `live page: ${service.url}/ (same credentials; a 60 × 1 s sampling window runs in the background)`,
      );
    }
  }
}
console.log('Ctrl-C stops the server and every PostgreSQL process.');
