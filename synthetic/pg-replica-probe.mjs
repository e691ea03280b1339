#!/usr/bin/env node
// `npx pg-replica-probe …` from a checkout (package.json "bin"): the probe
// runs from its TypeScript source through tsx, a dev dependency.
import { register } from 'tsx/esm/api';

register();
await import('./probe.ts');
