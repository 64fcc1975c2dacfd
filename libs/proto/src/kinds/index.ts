// Every kind's types and validator. A new kind is its .proto file, its module, and one line here
// (the line makes its types public and lets the codec find `validate<Message>`).
export * from './commit.js';
export * from './core.js';
export * from './creds.js';
export * from './external.js';
export * from './eventfd.js';
export * from './eventpoll.js';
export * from './fd.js';
export * from './inventory.js';
export * from './mm.js';
export * from './pages.js';
export * from './pipe.js';
export * from './procattrs.js';
export * from './pstree.js';
export * from './regfile.js';
export * from './remap.js';
export * from './signals.js';
export * from './tty.js';
export * from './ttyfile.js';
export * from './vma.js';
