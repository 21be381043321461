#!/usr/bin/env bash
# npm run test:deploy: the deployment lab's files two at a time, then verdicts.test.ts alone.
# Each guest is one host thread (TCG, thread=single); two files at a time keep a 2-CPU machine
# busy through the boots, reboots and waits of the others, minutes less than one file at a time.
# verdicts.test.ts runs alone: it asserts that a real gain is KEPT across a reboot, and a
# neighbour whose load differs between the two boots would move the host guard's CPU reference.
# With arguments (file filters, vitest options): one vitest run with them, one file at a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=test/deploy/vitest.config.ts
if [ "$#" -gt 0 ]; then exec npx vitest run --config "$config" "$@"; fi
npx vitest run --config "$config" --file-parallelism --max-workers 2 --exclude test/deploy/verdicts.test.ts
npx vitest run --config "$config" test/deploy/verdicts.test.ts
