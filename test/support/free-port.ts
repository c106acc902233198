// A UDP port on loopback that nothing holds right now, for a TFTP server under test: serve's --tftp-port=0 turns TFTP
// off rather than letting the system choose. Another process could take the port before the server binds; on a
// test machine that is rare, and rarer than two random picks colliding.

import { createSocket } from 'node:dgram';

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
