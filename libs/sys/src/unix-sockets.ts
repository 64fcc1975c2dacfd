// What ferry knows how to ask of AF_UNIX sockets: the kernel's table of them, and their queues.
export * from './unix-diag.js';
export * from './unix-queue.js';
