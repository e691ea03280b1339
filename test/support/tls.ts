import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAccount } from '../../dev/osUser.js';
import type { TestPair } from './testPair.js';

export interface ServerCertificate {
  cert: string;
  key: string;
}

export interface TestCertificates {
  /** The cluster's CA (PEM). */
  ca: string;
  /** Signed by `ca`, for 127.0.0.1 (IP SAN) and localhost. */
  server: ServerCertificate;
  /** Signed by `ca`, for a name only (db.internal): no IP SAN, so verify-full on 127.0.0.1 fails. */
  otherName: ServerCertificate;
  /** An unrelated CA, and a certificate for 127.0.0.1 it signed. */
  otherCa: string;
  otherServer: ServerCertificate;
  remove(): Promise<void>;
}

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

function makeServer(dir: string, name: string, ca: string, altNames: string): void {
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  writeFileSync(
    join(dir, `${name}.ext`),
    `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  );
}

/**
 * Certificates made with openssl in a folder the PostgreSQL account can read
 * (the servers load their certificate and key from it).
 */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'pg-tls-'));
  makeCa(dir, 'ca');
  makeServer(dir, 'server', 'ca', 'IP:127.0.0.1,DNS:localhost');
  makeServer(dir, 'named', 'ca', 'DNS:db.internal');
  makeCa(dir, 'other-ca');
  makeServer(dir, 'other-server', 'other-ca', 'IP:127.0.0.1,DNS:localhost');
  const runAs = postgresAccount();
  if (runAs) {
    await chown(dir, runAs.uid, runAs.gid);
    for (const name of ['server', 'named', 'other-server']) {
      await chown(join(dir, `${name}.crt`), runAs.uid, runAs.gid);
      await chown(join(dir, `${name}.key`), runAs.uid, runAs.gid);
    }
  }
  const pem = (name: string) => readFile(join(dir, name), 'utf8');
  const server = (name: string) => ({
    cert: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
  });
  return {
    ca: await pem('ca.crt'),
    otherCa: await pem('other-ca.crt'),
    server: server('server'),
    otherName: server('named'),
    otherServer: server('other-server'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Every server of the pair (primary and standbys) serves TLS with this
 * certificate from now on: ALTER SYSTEM and a reload, through the superuser.
 * Connections without TLS are still accepted (pg_hba is left alone).
 */
export async function serveTls(testPair: TestPair, certificate: ServerCertificate): Promise<void> {
  const servers: ('primary' | number)[] = [
    'primary',
    ...testPair.pair.standbys.map((_, index) => index),
  ];
  for (const server of servers) {
    const sql = testPair.superuser(server, 'postgres');
    await sql.unsafe(`alter system set ssl_cert_file = '${certificate.cert}'`);
    await sql.unsafe(`alter system set ssl_key_file = '${certificate.key}'`);
    await sql.unsafe('alter system set ssl = on');
    await sql`select pg_reload_conf()`;
  }
  // The reload is asynchronous: wait until a new connection gets TLS from each.
  for (const server of servers) {
    for (let tries = 0; ; tries++) {
      const sql = testPair.superuser(server, 'postgres');
      const [row] = await sql<{ on: string }[]>`select current_setting('ssl') as on`;
      if (row?.on === 'on') break;
      if (tries > 50) throw new Error(`server ${server} did not turn TLS on`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
