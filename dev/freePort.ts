import { createServer } from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address ? address.port : undefined),
      );
    });
  });
}

/** `preferred` if nothing listens on it, otherwise a port the OS picks. */
export async function freePort(preferred = 0): Promise<number> {
  const port = (preferred && (await tryListen(preferred))) || (await tryListen(0));
  if (!port) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
