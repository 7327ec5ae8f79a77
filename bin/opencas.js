#!/usr/bin/env node
// Entry point of the `opencas` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the `prepare` script) and by `npm run build`.
import '../dist/main.js';
