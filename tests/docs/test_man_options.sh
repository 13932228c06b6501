#!/usr/bin/env bash
# The man pages cannot drift from the programs: every option that `hookd COMMAND --help` and
# `hookctl ... --help` print is documented where that command is (hookd.8: the command's
# subsection or "OPTIONS FOR EVERY COMMAND"; hookctl.1: the command's entry, or OPTIONS for
# the global ones), and every option the pages list as a command's is one it accepts; every
# command is there; every environment variable the sources read (and the help names), every
# exit status of src/daemon/cli.h and src/cli/exit_codes.h, and every signal serve waits for
# (src/daemon/main.c) too. The pages are read as rendered by groff, lines unbroken.
# ctest sets HOOKD_BUILD and HOOKD_SRC.
set -euo pipefail

: "${HOOKD_BUILD:?HOOKD_BUILD must name the build directory}"
: "${HOOKD_SRC:?HOOKD_SRC must name the source directory}"
hookd=$HOOKD_BUILD/hookd
hookctl=$HOOKD_BUILD/hookctl
for f in "$hookd" "$hookctl"; do
    [ -x "$f" ] || { echo "FAIL: no executable at $f"; exit 1; }
done
command -v groff >/dev/null || { echo "FAIL: groff is missing (scripts/setup.sh installs it)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok   - $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
}
# oneline WORDS: the words on one line, for messages.
oneline() {
    tr -s ' \n' ' ' <<<"$1" | sed 's/^ //; s/ $//'
}

# The page as text: one line per paragraph (a 2000-column line), no bold or underline.
render() {
    groff -man -Tascii -rLL=2000n -P-cbou "$1" 2>/dev/null | sed 's/[[:space:]]*$//'
}
render "$HOOKD_SRC/docs/hookd.8" >"$tmp/hookd.txt"
render "$HOOKD_SRC/docs/hookctl.1" >"$tmp/hookctl.txt"

# (awk without interval expressions: Debian's mawk has none.) indent(): a line's leading spaces.
# shellcheck disable=SC2016 # awk's $0, not the shell's
awk_indent='function indent() { match($0, /^ */); return RLENGTH }'
# section FILE NAME: the lines of the section headed NAME (a heading is a line at column 0).
section() {
    awk -v name="$2" '/^[^ ]/ { inside = ($0 == name); next } inside' "$1"
}
# subsection FILE NAME: the lines of the subsection headed NAME (at column 3).
subsection() {
    awk -v name="   $2" "$awk_indent"'
        /[^ ]/ && indent() <= 3 { inside = ($0 == name); next } inside' "$1"
}
# entry FILE WORDS: the tagged paragraph (at column 7) whose tag starts with WORDS, with all
# that is indented below it.
entry() {
    awk -v words="       $2" "$awk_indent"'
        /[^ ]/ && indent() < 7 { inside = 0 }
        /[^ ]/ && indent() == 7 { inside = (index($0, words " ") == 1 || $0 == words) }
        inside' "$1"
}
# has TEXT OPTION: whether OPTION occurs in TEXT as a word of its own.
has() {
    grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" <<<"$1"
}
# help_options: the option names on the left of an Options block (stdin): "--data-dir", "-h".
help_options() {
    { grep -oE '^  (-h, )?--[a-z0-9-]+' || true; } | tr ',' '\n' |
        { grep -oE -- '-{1,2}[a-z0-9-]+' || true; } | sort -u
}
# tag_options TEXT: the options that tagged paragraphs of TEXT define (their first word).
tag_options() {
    { grep -E '^ {7}-' <<<"$1" || true; } | awk '{ print $1 }' | tr -d ',' | sort -u
}

# ---- hookd ----

"$hookd" --help >"$tmp/overview"
commands=$(sed -n '/^Commands:/,/^$/p' "$tmp/overview" | grep -oE '^  [a-z][a-z-]+' | tr -d ' ' |
    grep -vx help)
[ "$(wc -w <<<"$commands")" -ge 7 ] && pass "hookd --help lists its commands ($(oneline "$commands"))" ||
    fail "hookd --help lists its commands: got '$commands'"
common=$(section "$tmp/hookd.txt" "OPTIONS FOR EVERY COMMAND")
[ -n "$common" ] && pass "hookd.8 has OPTIONS FOR EVERY COMMAND" || fail "hookd.8 has OPTIONS FOR EVERY COMMAND"
all_hookd_options=""
for cmd in $commands; do
    "$hookd" "$cmd" --help >"$tmp/help.$cmd"
    opts=$(help_options <"$tmp/help.$cmd")
    all_hookd_options+=" $opts"
    text=$(subsection "$tmp/hookd.txt" "hookd $cmd")
    if [ -z "$text" ]; then
        fail "hookd.8 has a subsection 'hookd $cmd'"
        continue
    fi
    missing=""
    for o in $opts; do
        has "$text" "$o" || has "$common" "$o" || missing+=" $o"
    done
    [ -z "$missing" ] && pass "hookd.8 documents every option of hookd $cmd ($(wc -w <<<"$opts"))" ||
        fail "hookd.8 lacks options of hookd $cmd:$missing"
    invented=""
    for o in $(tag_options "$text"); do
        grep -qx -- "$o" <<<"$opts" || invented+=" $o"
    done
    [ -z "$invented" ] && pass "every option hookd.8 lists for hookd $cmd is one it takes" ||
        fail "hookd.8 lists options hookd $cmd does not take:$invented"
done
invented=""
for o in $(tag_options "$common"); do
    grep -qw -- "$o" <<<"$all_hookd_options" || invented+=" $o"
done
[ -z "$invented" ] && pass "every option of OPTIONS FOR EVERY COMMAND exists" ||
    fail "OPTIONS FOR EVERY COMMAND lists options no command takes:$invented"
has "$(subsection "$tmp/hookd.txt" "hookd help")" --version && pass "hookd.8 documents --version" ||
    fail "hookd.8 documents --version"

env=$(section "$tmp/hookd.txt" ENVIRONMENT)
vars=$( (cat "$tmp"/help.* "$tmp/overview" | grep -oE 'HOOKD_[A-Z_]+[A-Z]'
    grep -ohE '"HOOKD_[A-Z_]+"' "$HOOKD_SRC"/src/daemon/*.c | tr -d '"') | sort -u)
missing=""
for v in $vars; do has "$env" "$v" || missing+=" $v"; done
[ -z "$missing" ] && pass "hookd.8 ENVIRONMENT names every variable ($(wc -w <<<"$vars"))" ||
    fail "hookd.8 ENVIRONMENT lacks:$missing"

exits=$(section "$tmp/hookd.txt" "EXIT STATUS")
codes=$(grep -oE 'HK_EXIT_[A-Z]+ = [0-9]+' "$HOOKD_SRC/src/daemon/cli.h" | awk '{ print $3 }')
missing=""
for c in $codes; do grep -qE "^ {7}$c( |\$)" <<<"$exits" || missing+=" $c"; done
[ -n "$codes" ] && [ -z "$missing" ] && pass "hookd.8 EXIT STATUS has every code of cli.h ($(oneline "$codes"))" ||
    fail "hookd.8 EXIT STATUS lacks codes:$missing (cli.h: $(oneline "$codes"))"

signals=$(section "$tmp/hookd.txt" SIGNALS)
sigs=$(grep -oE 'sigaddset\([^,]+, *SIG[A-Z]+' "$HOOKD_SRC/src/daemon/main.c" | grep -oE 'SIG[A-Z]+')
missing=""
for s in $sigs SIGHUP; do has "$signals" "$s" || missing+=" $s"; done
[ -n "$sigs" ] && [ -z "$missing" ] && pass "hookd.8 SIGNALS covers $(oneline "$sigs") and SIGHUP" ||
    fail "hookd.8 SIGNALS lacks:$missing"

# ---- hookctl ----

"$hookctl" --help >"$tmp/ctl"
# "  hookctl customers list [--spam ..." -> "customers list"; "hookctl listen --port" -> "listen"
sed -n '/^Commands:/,/^Options/p' "$tmp/ctl" | grep -E '^  hookctl ' |
    awk '{ w = $2; if ($3 ~ /^[a-z][a-z-]*$/) w = w " " $3; print w }' >"$tmp/ctl.commands"
n=$(wc -l <"$tmp/ctl.commands")
[ "$n" -ge 20 ] && pass "hookctl --help lists its commands ($n)" || fail "hookctl --help lists its commands ($n)"
globals=$(sed -n '/^Options (accepted/,/^$/p' "$tmp/ctl" | help_options)
globals+=$'\n'$(sed -n '/^Options (accepted/,/^$/p' "$tmp/ctl" | grep -oE '^  --version' | tr -d ' ')
options=$(section "$tmp/hookctl.txt" OPTIONS)
missing=""
for o in $globals; do has "$options" "$o" || missing+=" $o"; done
[ -z "$missing" ] && pass "hookctl.1 OPTIONS has every global option ($(oneline "$globals"))" ||
    fail "hookctl.1 OPTIONS lacks:$missing"
while read -r words; do
    # shellcheck disable=SC2086 # the command's words
    "$hookctl" $words --help >"$tmp/cmd" 2>&1 </dev/null || true
    opts=$(sed -n '/^Options:/,/^$/p' "$tmp/cmd" | help_options)
    text=$(entry "$tmp/hookctl.txt" "$words")
    if [ -z "$text" ]; then
        fail "hookctl.1 has an entry for 'hookctl $words'"
        continue
    fi
    missing=""
    for o in $opts; do has "$text" "$o" || missing+=" $o"; done
    [ -z "$missing" ] && pass "hookctl.1 documents every option of hookctl $words ($(wc -w <<<"$opts"))" ||
        fail "hookctl.1 lacks options of hookctl $words:$missing"
    # The entry's tag is its synopsis: each option there must be the command's or a global.
    invented=""
    for o in $(head -1 <<<"$text" | { grep -oE -- '--[a-z][a-z0-9-]*' || true; } | sort -u); do
        grep -qx -- "$o" <<<"$opts"$'\n'"$globals" || invented+=" $o"
    done
    [ -z "$invented" ] && pass "hookctl $words takes every option of its synopsis in hookctl.1" ||
        fail "hookctl.1's synopsis of hookctl $words has options it does not take:$invented"
done <"$tmp/ctl.commands"

env=$(section "$tmp/hookctl.txt" ENVIRONMENT)
vars=$( (sed -n '/^Environment:/,/^$/p' "$tmp/ctl" | grep -oE '^  [A-Z_]+'; \
    grep -ohE 'getenv\("[A-Z_]+"\)|"HOOKD_[A-Z_]+"' "$HOOKD_SRC"/src/cli/*.c | grep -oE '[A-Z_]{3,}') |
    tr -d ' ' | sort -u)
missing=""
for v in $vars; do has "$env" "$v" || missing+=" $v"; done
[ -z "$missing" ] && pass "hookctl.1 ENVIRONMENT names every variable ($(oneline "$vars"))" ||
    fail "hookctl.1 ENVIRONMENT lacks:$missing"

exits=$(section "$tmp/hookctl.txt" "EXIT STATUS")
codes=$(grep -oE 'CLI_EXIT_[A-Z_]+ = [0-9]+' "$HOOKD_SRC/src/cli/exit_codes.h" | awk '{ print $3 }')
missing=""
for c in $codes; do grep -qE "^ {7}$c( |\$)" <<<"$exits" || missing+=" $c"; done
[ -n "$codes" ] && [ -z "$missing" ] && pass "hookctl.1 EXIT STATUS has every code of exit_codes.h ($(oneline "$codes"))" ||
    fail "hookctl.1 EXIT STATUS lacks codes:$missing"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
