#!/usr/bin/env node
// Runs the bundled data plane; build it first with `pnpm --filter @fulcrum/dataplane build`.
import '../dist/fulcrum-dataplane.mjs';
