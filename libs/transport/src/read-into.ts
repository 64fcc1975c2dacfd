import net from 'node:net';

/**
 * Wraps a socket accepted with `pauseOnConnect` so that its reads land in memory the caller
 * chooses (Node's `onread`): BUFFER says where the next read goes, TOOK is told how many bytes
 * came. Node offers `onread` only on sockets it constructs, and allocates a fresh 64 KiB chunk per
 * read otherwise: on this VM those chunks' page faults were a third of the receiver's time, and a
 * reader that only asks for what it expects never has to split or copy a chunk.
 */
export function readInto(accepted: net.Socket, buffer: () => Uint8Array, took: (n: number) => void): net.Socket {
  const handle = (accepted as unknown as { _handle?: unknown })._handle;
  if (!handle) throw new Error('the connection closed before it could be read');
  const options = { handle, onread: { buffer, callback: (n: number) => void took(n) } };
  return new net.Socket(options as net.SocketConstructorOpts);
}
