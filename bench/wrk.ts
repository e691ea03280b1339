// The load generator of the benches: wrk (Debian package `wrk`), not a Node
// one. On this 2-core machine the server, Postgres and the load generator
// share the cores. Against the hello world, 5 s at 32 connections
// (2026-12-02): autocannon used 3.1 s of CPU for 15k requests (~200 µs each,
// 60 % of a core), wrk 0.8 s for 29k (~26 µs each): wrk leaves the server the
// CPU the ratios are about. One wrk thread; a Lua script sets the method,
// headers and body and counts answers whose status is not the expected one.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const LOAD_GENERATOR = 'wrk (1 thread)';

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  // wrk --version exits 1 after printing its version: only a missing binary throws ENOENT.
  if ((error as { code?: string }).code === 'ENOENT') {
    throw new Error("the benches need wrk: apt-get install wrk (Debian), or your system's package");
  }
}

export interface LoadCase {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationS: number;
  /** The status every answer should have (default 200). */
  expected?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Socket errors, timeouts and answers with another status than expected. */
  errors: number;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
let scripts = 0;

function luaString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function script(c: LoadCase): string {
  const path = join(dir, `case${scripts++}.lua`);
  const headers = Object.entries(c.headers ?? {})
    .map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`)
    .join('\n');
  // A global per thread's Lua state: done() reads it with thread:get().
  writeFileSync(
    path,
    `wrk.method = ${luaString(c.method ?? 'GET')}
${c.body === undefined ? '' : `wrk.body = ${luaString(c.body)}`}
${headers}
unexpected = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status ~= ${c.expected ?? 200} then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("unexpected") or 0) end
  io.write(string.format("unexpected %d\\n", total))
  io.write(string.format("p50 %f\\np99 %f\\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("requests %d\\nerrors %d\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  return path;
}

export async function runLoad(c: LoadCase): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)('wrk', [
    '-t1',
    `-c${c.connections}`,
    `-d${c.durationS}s`,
    '--timeout',
    '10s',
    '-s',
    script(c),
    c.url,
  ]);
  const number = (name: string) =>
    Number(new RegExp(`^${name}:?\\s+([\\d.]+)`, 'm').exec(stdout)?.[1]);
  return {
    rps: number('Requests/sec'),
    p50: number('p50'),
    p99: number('p99'),
    errors: number('unexpected') + number('errors'),
  };
}

export interface MixedRequest {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface MixedResult {
  requests: number;
  rps: number;
  /** Answers by status class (2xx, 4xx, 5xx) and socket errors. */
  byClass: Record<string, number>;
}

/** The requests in turn on every connection, for the soak: counts answers by status class. */
export async function runMixed(
  baseUrl: string,
  requests: MixedRequest[],
  connections: number,
  durationS: number,
): Promise<MixedResult> {
  const path = join(dir, `mix${scripts++}.lua`);
  const entries = requests
    .map((r) => {
      const headers = Object.entries(r.headers ?? {})
        .map(([name, value]) => `[${luaString(name)}] = ${luaString(value)}`)
        .join(', ');
      return `wrk.format(${luaString(r.method ?? 'GET')}, ${luaString(r.path)}, {${headers}}${r.body === undefined ? '' : `, ${luaString(r.body)}`})`;
    })
    .join(',\n  ');
  writeFileSync(
    path,
    `local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  reqs = {
  ${entries}
  }
  turn = 0
  c2, c4, c5 = 0, 0, 0
end
function request()
  turn = turn % #reqs + 1
  return reqs[turn]
end
function response(status, headers, body)
  if status >= 500 then c5 = c5 + 1 elseif status >= 400 then c4 = c4 + 1 else c2 = c2 + 1 end
end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do a = a + t:get("c2"); b = b + t:get("c4"); c = c + t:get("c5") end
  io.write(string.format("class2 %d\\nclass4 %d\\nclass5 %d\\n", a, b, c))
  io.write(string.format("requests %d\\nerrors %d\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  const { stdout } = await promisify(execFile)('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${durationS}s`,
    '--timeout',
    '10s',
    '-s',
    path,
    baseUrl,
  ]);
  const number = (name: string) =>
    Number(new RegExp(`^${name}:?\\s+([\\d.]+)`, 'm').exec(stdout)?.[1]);
  return {
    requests: number('requests'),
    rps: number('Requests/sec'),
    byClass: {
      '2xx/3xx': number('class2'),
      '4xx': number('class4'),
      '5xx': number('class5'),
      'socket errors': number('errors'),
    },
  };
}
