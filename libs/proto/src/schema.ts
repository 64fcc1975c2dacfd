import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { DESCRIPTOR } from './generated/descriptor.js';

/** The .proto folder ships beside dist/ (package.json "files"), so it is found from this module. */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
/** The envelope lives with the kinds but is not one. */
export const ENVELOPE_FILE = 'record.proto';
const PACKAGE = 'ferry';

export interface KindSchema {
  /** Base name of the .proto file: the kind's name in the stream. */
  readonly kind: string;
  readonly file: string;
  /** The first message the file declares; the others are its parts. */
  readonly type: protobuf.Type;
}

export interface Schema {
  readonly envelope: protobuf.Type;
  readonly kinds: readonly KindSchema[];
}

let loaded: Schema | undefined;

/** The schema of this package's own .proto folder, loaded once, from its form compiled at build. */
export function schema(): Schema {
  return (loaded ??= compiledSchema());
}

function compiledSchema(): Schema {
  checkLong();
  const root = protobuf.Root.fromJSON(DESCRIPTOR.root as protobuf.INamespace);
  root.resolveAll();
  const message = (name: string, file: string): protobuf.Type => {
    const type = root.lookupType(`${PACKAGE}.${name}`);
    if (!type) throw new Error(`${path.join(PROTO_DIR, file)}: message ${name} is missing from the compiled schema (rebuild libs/proto)`);
    return type;
  };
  return {
    envelope: message(DESCRIPTOR.envelope, ENVELOPE_FILE),
    kinds: DESCRIPTOR.kinds.map((k) => ({ kind: k.kind, file: k.file, type: message(k.message, k.file) })),
  };
}

function checkLong(): void {
  // Without long.js protobufjs decodes 64-bit fields to lossy doubles.
  if (!protobuf.util.Long) throw new Error('protobufjs found no long.js: 64-bit fields would lose precision');
}

/**
 * Loads every .proto file of the folder, so that a new kind needs no code here. Fails loudly:
 * without these there is nothing the library can do.
 */
export function loadSchema(dir: string = PROTO_DIR): Schema {
  checkLong();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.proto')).sort();
  if (!files.includes(ENVELOPE_FILE)) throw new Error(`${path.join(dir, ENVELOPE_FILE)} is missing`);
  const root = new protobuf.Root();
  root.loadSync(files.map((f) => path.join(dir, f)));
  root.resolveAll();
  const pkg = root.lookup(PACKAGE);
  if (!(pkg instanceof protobuf.Namespace)) throw new Error(`${dir}: no .proto file declares package ${PACKAGE}`);
  const firstMessageOf = (file: string): protobuf.Type => {
    const full = path.join(dir, file);
    const type = pkg.nestedArray.find((o): o is protobuf.Type => o instanceof protobuf.Type && o.filename === full);
    if (!type) throw new Error(`${full}: declares no message in package ${PACKAGE}`);
    return type;
  };
  return {
    envelope: firstMessageOf(ENVELOPE_FILE),
    kinds: files
      .filter((f) => f !== ENVELOPE_FILE)
      .map((f) => ({ kind: path.basename(f, '.proto'), file: f, type: firstMessageOf(f) })),
  };
}
