/** The part of a pino logger the services use; the CLI passes a real one. */
export interface Log {
  debug(msg: string): void;
  info(msg: string): void;
}

export const silentLog: Log = { debug() {}, info() {} };
