#!/usr/bin/env node
// `cos-emulator`: the emulator's own command (same as `cos-download emulator`).
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
