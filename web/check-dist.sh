#!/bin/sh
# CI check: the committed generated client (src/gen) and build (dist/, with
# dist-sources.sha256, what it was built from) must be exactly what the
# committed sources produce. Run after `npm ci`.
set -eu
cd "$(dirname "$0")"

npm run --silent generate
npm run --silent build

if ! git diff --exit-code --stat -- src/gen dist dist-sources.sha256 || [ -n "$(git status --porcelain -- src/gen dist dist-sources.sha256)" ]; then
    git status --short -- src/gen dist dist-sources.sha256 >&2
    echo "web/src/gen or web/dist is out of date: run 'npm run generate && npm run build' in web/ and commit the result." >&2
    exit 1
fi
echo "web/src/gen and web/dist are up to date."
