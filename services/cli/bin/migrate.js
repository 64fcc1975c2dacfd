#!/usr/bin/env node
// `migrate ...` is `ferry migrate ...`, in this very process like ferry itself.
import('../dist/src/main.js').then((cli) => cli.run(['migrate', ...process.argv.slice(2)], 'ferry'));
