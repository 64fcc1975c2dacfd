#!/usr/bin/env node
// Runs the CLI in this very process, so descriptors the caller opened (--inherit-fd) stay ours.
import('../dist/src/main.js').then((cli) => cli.run(process.argv.slice(2), 'ferry'));
