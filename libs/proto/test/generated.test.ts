import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { VALIDATORS } from '../src/generated/validators.js';
import { KIND_NAMES, PROTO_DIR } from '../src/index.js';
import { loadSchema, schema } from '../src/schema.js';
import { tempDir } from './fixtures.js';

// The types of src/generated/ are the schema's only TS form: these tests hold the build to the
// .proto folder, and the generator to refusing what it cannot translate faithfully.

interface Generator {
  generateTypes(protoDir?: string, kindsDir?: string): Record<string, string>;
  staleFiles(outDir: string, files: Record<string, string>): string[];
  GENERATED_DIR: string;
}

const PACKAGE_ROOT = path.dirname(path.resolve(PROTO_DIR));
const generator = (await import(pathToFileURL(path.join(PACKAGE_ROOT, 'scripts', 'generate-types.mjs')).href)) as Generator;

describe('generated types', () => {
  it('give every kind of the schema a KindPayloads entry and its validate<Message>', () => {
    // VALIDATORS is typed by KindPayloads' keys, so equal keys mean equal kinds.
    assert.deepEqual(Object.keys(VALIDATORS).sort(), [...KIND_NAMES].sort());
    for (const k of schema().kinds) {
      assert.equal(VALIDATORS[k.kind as keyof typeof VALIDATORS].name, `validate${k.type.name}`, k.file);
    }
  });

  it('compile to the schema that parsing the .proto folder gives, kind by kind', () => {
    const compiled = schema(), parsed = loadSchema();
    const plain = (t: { toJSON(): object }) => JSON.parse(JSON.stringify(t.toJSON())) as object;
    assert.deepEqual(plain(compiled.envelope), plain(parsed.envelope));
    assert.deepEqual(compiled.kinds.map((k) => [k.kind, k.file, k.type.name]), parsed.kinds.map((k) => [k.kind, k.file, k.type.name]));
    for (const [i, k] of compiled.kinds.entries()) assert.deepEqual(plain(k.type), plain(parsed.kinds[i]!.type), k.file);
  });

  it('are up to date with the .proto folder', () => {
    assert.deepEqual(generator.staleFiles(generator.GENERATED_DIR, generator.generateTypes()), []);
  });
});

describe('the type generator', () => {
  const protoOf = (body: string, syntax = 'syntax = "proto3";\npackage ferry;\n') => syntax + body;

  /** Generates from record.proto and FILES; every kind gets an empty module unless listed in MISSING. */
  function generate(files: Record<string, string>, missing: string[] = []): Record<string, string> {
    const dir = tempDir('generator');
    try {
      const protoDir = path.join(dir, 'proto');
      const kindsDir = path.join(dir, 'kinds');
      fs.mkdirSync(protoDir);
      fs.mkdirSync(kindsDir);
      fs.copyFileSync(path.join(PROTO_DIR, 'record.proto'), path.join(protoDir, 'record.proto'));
      for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(protoDir, name), text);
        const kind = path.basename(name, '.proto');
        if (!missing.includes(kind)) fs.writeFileSync(path.join(kindsDir, `${kind}.ts`), '');
      }
      return generator.generateTypes(protoDir, kindsDir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  const refuses = (files: Record<string, string>, pattern: RegExp, missing?: string[]) =>
    assert.throws(() => generate(files, missing), (e: Error) => e.constructor.name === 'ProtoTypeError' && pattern.test(e.message), String(pattern));

  it('writes the types the codec converts to, with nested names, optional members and comments', () => {
    const out = generate({
      'thing.proto': protoOf(
        '// A thing.\nmessage Thing {\n  enum Colour { RED = 0; BLUE = 1; } // which\n  message Part { bytes raw = 1; }\n' +
          '  fixed64 big_number = 1; // above 2^53\n  repeated Part parts = 2;\n  map<string, sint64> counts = 3;\n  Colour colour = 4;\n  optional uint32 maybe = 5;\n}\n',
      ),
    });
    const messages = out['messages.ts']!;
    assert.match(messages, /\/\*\* A thing\. \*\/\nexport interface Thing \{\n  \/\*\* above 2\^53 \*\/\n  bigNumber: bigint;\n  parts: ThingPart\[\];\n  counts: \{ \[key: string\]: bigint \};\n  colour: ThingColour;\n  maybe\?: number;\n\}/);
    assert.match(messages, /export interface ThingPart \{\n  raw: Buffer;\n\}/);
    assert.match(messages, /export enum ThingColour \{\n  RED = 0,\n  BLUE = 1,\n\}/);
    assert.match(messages, /export interface RecordEnvelope \{/);
    assert.match(out['kind-payloads.ts']!, /export interface KindPayloads \{\n  thing: Thing;\n\}/);
    assert.match(out['validators.ts']!, /import \{ validateThing \} from '\.\.\/kinds\/thing\.js';[\s\S]*  thing: validateThing,/);
  });

  it('refuses what it cannot translate, naming the file and what to do', () => {
    refuses({ 'old.proto': 'syntax = "proto2";\npackage ferry;\nmessage Old { optional uint32 a = 1; }\n' }, /old\.proto: must start with syntax = "proto3";$/);
    refuses({ 'svc.proto': protoOf('message Req { uint32 a = 1; }\nservice Svc { rpc Get (Req) returns (Req); }\n') }, /svc\.proto: ferry\.Svc: service declarations are not supported/);
    refuses({ 'big.proto': protoOf('message Big { map<uint64, string> m = 1; }\n') }, /big\.proto: ferry\.Big\.m: map<uint64, \.\.\.> is not supported/);
    refuses({ 'when.proto': protoOf('import "google/protobuf/timestamp.proto";\nmessage When { google.protobuf.Timestamp at = 1; }\n') }, /google\.protobuf\.Timestamp is outside package ferry/);
    refuses({ 'clash.proto': protoOf('message Clash { message Part { uint32 a = 1; } }\nmessage ClashPart { uint32 b = 1; }\n') }, /its TS name ClashPart is taken/);
    refuses({ 'buf.proto': protoOf('message Buffer { uint32 a = 1; }\n') }, /would shadow TypeScript's own Buffer/);
    refuses({ 'other.proto': 'syntax = "proto3";\npackage elsewhere;\nmessage Other { uint32 a = 1; }\n' }, /declares elsewhere: every \.proto here is package ferry/);
    refuses({ 'empty.proto': protoOf('enum Alone { A = 0; }\n') }, /empty\.proto: declares no message/);
    refuses({ 'lonely.proto': protoOf('message Lonely { uint32 a = 1; }\n') }, /write src\/kinds\/lonely\.ts exporting validateLonely\(payload: Lonely\): void$/, ['lonely']);
  });
});
