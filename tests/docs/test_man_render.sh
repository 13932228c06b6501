#!/usr/bin/env bash
# The man pages (docs/hookd.8, docs/hookctl.1) render without a single warning: groff with
# every warning on (-ww), and man-db as a reader gets them, at 80 columns and at 60 (a
# narrow terminal, where an unbreakable line would warn). ctest sets HOOKD_SRC.
set -euo pipefail

: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
for tool in groff man; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done
passed=0
failed=0

# check NAME OUTPUT: passes when OUTPUT (the warnings) is empty.
check() {
    if [ -z "$2" ]; then
        passed=$((passed + 1))
        echo "ok   - $1"
    else
        failed=$((failed + 1))
        echo "FAIL - $1"
        printf '%s\n' "$2" | head -20 | sed 's/^/       /'
    fi
}

for page in "$HOOKD_SRC/docs/hookd.8" "$HOOKD_SRC/docs/hookctl.1"; do
    name=$(basename "$page")
    [ -s "$page" ] || { check "$name exists" "missing or empty: $page"; continue; }
    check "$name: groff -man -ww -z prints no warning" "$(groff -man -ww -z "$page" 2>&1)"
    for width in 80 60; do
        # The page on stdout is dropped; stderr is what man and groff complained about.
        out=$(LC_ALL=C.UTF-8 MANWIDTH=$width man --warnings=w -l "$page" 2>&1 >/dev/null)
        check "$name: man -l at $width columns prints no warning" "$out"
    done
    text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null)
    for section in NAME SYNOPSIS DESCRIPTION ENVIRONMENT "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        if grep -qx "$section" <<<"$text"; then
            check "$name: has a $section section" ""
        else
            check "$name: has a $section section" "no line '$section' in the rendered page"
        fi
    done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
