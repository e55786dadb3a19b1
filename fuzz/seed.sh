#!/usr/bin/env bash
# Seeds the fuzz corpora with every model of the repository:
# models/**/*.leash into fuzz/corpus/parse and fuzz/corpus/check.
set -euo pipefail
cd "$(dirname "$0")"
for target in parse check; do
    mkdir -p "corpus/$target"
    find ../models -name '*.leash' -print0 | while IFS= read -r -d '' model; do
        name="${model#../models/}"
        cp "$model" "corpus/$target/${name//\//_}"
    done
done
echo "seeded $(ls corpus/parse | wc -l) models into corpus/parse and corpus/check"
