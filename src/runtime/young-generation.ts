// Imported first by the CLI entry point, before any other module is loaded: keeps V8's young generation at its
// start size (1 MB per semi-space) instead of letting it grow to 16 MB per semi-space under load, 30 MB of resident
// memory that a burst commits and an idle worker never gives back. Same effect as `node --max-semi-space-size=1`,
// which `handoff run` (and a container's CMD) cannot pass. Scavenges get more frequent and each one shorter. It has
// to run before start-up allocations grow the space: set later, it keeps whatever size was reached — and compiling the
// worker's modules is such an allocation, so the entry point imports this statically and everything else dynamically
// after it (static imports are all compiled before the first module runs: the space was at 16 MB by then).
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');
