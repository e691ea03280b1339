import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { grpc } from 'google-gax';

// A Secret Manager-compatible gRPC server for tests, benchmarks and local
// runs (SECRET_MANAGER_EMULATOR_HOST): AccessSecretVersion only, plaintext,
// no auth, built from the .proto files that ship inside the SDK package.

type GrpcServiceDefinition = Parameters<InstanceType<typeof grpc.Server>['addService']>[0];

const require = createRequire(import.meta.url);

function loadServiceDefinition(): GrpcServiceDefinition {
  const sdkProtos = join(dirname(require.resolve('@google-cloud/secret-manager')), '..', 'protos');
  const gaxProtos = join(dirname(require.resolve('google-gax')), '..', 'protos');
  const definition = loadSync('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [sdkProtos, gaxProtos],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: {
        secretmanager: { v1: { SecretManagerService: { service: GrpcServiceDefinition } } };
      };
    };
  };
  return loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
}

interface Version {
  value: string;
  enabled: boolean;
}

export interface FakeSecretManager {
  /** `host:port`, for SECRET_MANAGER_EMULATOR_HOST. */
  address: string;
  /** Adds a version (the new `latest`) and returns its number. */
  addVersion(project: string, secret: string, value: string): number;
  disableVersion(project: string, secret: string, version: number): void;
  /** Answers PERMISSION_DENIED for this secret from now on. */
  deny(project: string, secret: string): void;
  /** Answers UNAVAILABLE to the next `count` calls. */
  failNext(count: number): void;
  /** Answers UNAVAILABLE for this one version (by number) from now on. */
  makeUnavailable(project: string, secret: string, version: number): void;
  /** AccessSecretVersion calls received so far, for every name or for one (`…/versions/2`). */
  calls(name?: string): number;
  close(): Promise<void>;
}

type Callback = (error: { code: number; details: string } | null, response?: unknown) => void;

export async function startFakeSecretManager(host = '127.0.0.1'): Promise<FakeSecretManager> {
  const secrets = new Map<string, Version[]>();
  const denied = new Set<string>();
  const unavailableVersions = new Set<string>();
  let unavailable = 0;
  const calls: string[] = [];

  function accessSecretVersion(call: { request: { name: string } }, callback: Callback): void {
    calls.push(call.request.name);
    if (unavailable > 0) {
      unavailable--;
      callback({ code: grpc.status.UNAVAILABLE, details: 'the fake is unavailable' });
      return;
    }
    const match = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(call.request.name);
    if (!match?.[1] || !match[2]) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `bad name ${call.request.name}` });
      return;
    }
    const [, secretName, wanted] = match;
    if (unavailableVersions.has(call.request.name)) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'this version is unavailable' });
      return;
    }
    if (denied.has(secretName)) {
      callback({
        code: grpc.status.PERMISSION_DENIED,
        details: `Permission denied on ${secretName}`,
      });
      return;
    }
    const versions = secrets.get(secretName) ?? [];
    const number =
      wanted === 'latest'
        ? versions.findLastIndex((version) => version.enabled) + 1
        : Number(wanted);
    const version = versions[number - 1];
    if (!version) {
      callback({ code: grpc.status.NOT_FOUND, details: `Secret [${call.request.name}] not found` });
      return;
    }
    if (!version.enabled) {
      callback({
        code: grpc.status.FAILED_PRECONDITION,
        details: `${secretName}/versions/${number} is disabled`,
      });
      return;
    }
    callback(null, {
      name: `${secretName}/versions/${number}`,
      payload: { data: Buffer.from(version.value, 'utf8') },
    });
  }

  const server = new grpc.Server();
  server.addService(loadServiceDefinition(), { accessSecretVersion });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const key = (project: string, secret: string) => `projects/${project}/secrets/${secret}`;

  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    addVersion(project, secret, value) {
      const versions = secrets.get(key(project, secret)) ?? [];
      versions.push({ value, enabled: true });
      secrets.set(key(project, secret), versions);
      return versions.length;
    },
    disableVersion(project, secret, version) {
      const found = secrets.get(key(project, secret))?.[version - 1];
      if (found) found.enabled = false;
    },
    deny: (project, secret) => denied.add(key(project, secret)),
    failNext: (count) => {
      unavailable = count;
    },
    makeUnavailable: (project, secret, version) => {
      unavailableVersions.add(`${key(project, secret)}/versions/${version}`);
    },
    calls: (name) => (name ? calls.filter((called) => called === name).length : calls.length),
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
