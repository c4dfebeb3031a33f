#!/usr/bin/env bash
# The one test command (`npm test`): typecheck, the Node suites, then the conformance suite
# again under Deno and Bun (their binaries come from npm devDependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin

echo "== typecheck"
"$bin/tsc" -p tsconfig.json --noEmit

echo "== node: unit, meta, integration and conformance"
"$bin/vitest" run

echo "== deno: conformance"
"$bin/deno" run -A node_modules/vitest/vitest.mjs run --project conformance

echo "== bun: conformance"
"$bin/bun" --bun node_modules/vitest/vitest.mjs run --project conformance

echo "== deno publish --dry-run"
"$bin/deno" publish --dry-run --allow-dirty >/dev/null 2>.deno-publish.log || { cat .deno-publish.log; exit 1; }
rm -f .deno-publish.log
echo "all suites passed"
