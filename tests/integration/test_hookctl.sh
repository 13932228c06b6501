#!/usr/bin/env bash
# hookctl against a real "hookd serve": every command, its human and --json
# output, and the exit status of each class of failure (usage 2, bad key 3,
# unknown id 4, refused operation 1, server unreachable 5). Also: no colour
# escapes when stdout is not a terminal (even for text the server stored with
# escapes in it), colours on a terminal, and the API key never printed.
# ctest sets HOOKD_BUILD (the build directory) and HOOKD_SRC (the sources).
set -uo pipefail

build=${HOOKD_BUILD:?set HOOKD_BUILD to the build directory}
bin=$build/hookd
ctl=$build/hookctl
for exe in "$bin" "$ctl"; do
    [ -x "$exe" ] || { echo "no executable at $exe" >&2; exit 1; }
done
command -v node >/dev/null || { echo "node is needed to read --json output" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-hookctl-test.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

trap cleanup EXIT


# Every command is bounded; a hang is exit status 124, a failure.
bounded() { timeout 20 "$@"; }

# hc ARGS...: runs hookctl; stdout in $tmp/out, stderr in $tmp/err, status in $rc. Every
# output is also appended to $tmp/all-stdout and $tmp/all-stderr for the checks at the end.
hc() {
    rc=0
    bounded "$ctl" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    cat "$tmp/out" >>"$tmp/all-stdout"
    cat "$tmp/err" >>"$tmp/all-stderr"
}

# expect NAME WANT_STATUS [ERE...]: checks $rc, and that stdout matches every ERE.
expect() {
    local name=$1 want=$2 re
    shift 2
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit status $rc, wanted $want" "stdout: $(head -c 300 "$tmp/out")" \
            "stderr: $(head -c 300 "$tmp/err")"
        return
    fi
    for re in "$@"; do
        if ! grep -qE -- "$re" "$tmp/out"; then
            fail "$name" "stdout does not match $re" "stdout: $(head -c 600 "$tmp/out")"
            return
        fi
    done
    pass "$name"
}

# expect_err NAME WANT_STATUS ERE: checks $rc and that stderr matches ERE.
expect_err() {
    local name=$1 want=$2 re=$3
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit status $rc, wanted $want" "stderr: $(head -c 300 "$tmp/err")"
    elif ! grep -qE -- "$re" "$tmp/err"; then
        fail "$name" "stderr does not match $re" "stderr: $(head -c 300 "$tmp/err")"
    else
        pass "$name"
    fi
}

# js EXPR: evaluates a JavaScript expression over the --json document in $tmp/out (as `d`) and
# prints the result; fails (status 1) when stdout is not exactly one JSON document.
js() {
    node -e '
        const text = require("fs").readFileSync(process.argv[1], "utf8");
        if (text.split("\n").filter(Boolean).length !== 1) process.exit(1);
        const d = JSON.parse(text);
        const v = new Function("d", "return (" + process.argv[2] + ");")(d);
        console.log(typeof v === "string" ? v : JSON.stringify(v));
    ' "$tmp/out" "$1"
}

# check_js NAME EXPR: passes when EXPR over the --json document is true.
check_js() {
    local got
    got=$(js "$2" 2>&1)
    if [ "$got" = true ]; then
        pass "$1"
    else
        fail "$1" "$2 is $got" "stdout: $(head -c 600 "$tmp/out")"
    fi
}

# has_escape FILE: true when FILE holds an ANSI escape sequence.
has_escape() { grep -q $'\e\\[' "$1"; }

healthz_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/healthz" || true; }

# A loopback port nothing listens on (for "connection refused").
closed_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# start_serve: "hookd serve" on a random loopback port (another one when taken); sets
# server_pid and base. Private targets are allowed so that targets may point at loopback.
start_serve() {
    local attempt port i
    for ((attempt = 0; attempt < 8; attempt++)); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) clients hold
        HOOKD_ALLOW_PRIVATE_TARGETS=1 "$bin" serve --data-dir "$tmp/data" \
            --listen "127.0.0.1:$port" --log-level warn 2>>"$tmp/serve.log" &
        server_pid=$!
        started_pids+=("$server_pid")
        for ((i = 0; i < 200; i++)); do
            kill -0 "$server_pid" 2>/dev/null || break
            if [ "$(healthz_status "http://127.0.0.1:$port")" = 200 ]; then
                base=http://127.0.0.1:$port
                return 0
            fi
            sleep 0.05
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        grep -q "Address already in use" "$tmp/serve.log" || return 1
    done
    return 1
}

# ---- set-up ----

if ! bounded "$bin" bootstrap --data-dir "$tmp/data" >"$tmp/boot" 2>"$tmp/err"; then
    echo "FAIL - bootstrap: $(head -c 400 "$tmp/err")"
    echo "0 passed, 1 failed"
    exit 1
fi
workspace_id=$(sed -n 's/.*"workspaceId":"\([^"]*\)".*/\1/p' "$tmp/boot")
key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/boot")
if ! start_serve; then
    echo "FAIL - serve does not start: $(head -c 400 "$tmp/serve.log")"
    echo "0 passed, 1 failed"
    exit 1
fi
export HOOKD_URL=$base/graphql/v1 HOOKD_API_KEY=$key
unset NO_COLOR
: >"$tmp/all-stdout"
: >"$tmp/all-stderr"

# ---- help and usage errors (2) ----

hc --help
expect "--help lists every command and the exit statuses" 0 'customers upsert' 'groups add-customer' \
    'targets test' 'deliveries recover' 'hmac regenerate' 'workspace show' 'hookctl versions' \
    'Exit status' '5  cannot reach'
commands=("customers upsert" "customers show" "customers list" "customers mark-spam"
    "customers unmark-spam" "customers delete" "groups create" "groups list" "groups show"
    "groups update" "groups delete" "groups add-customer" "groups remove-customer"
    "targets create" "targets list" "targets show" "targets update" "targets delete"
    "targets test" "targets delivery" "deliveries list" "deliveries attempts" "deliveries resend"
    "deliveries recover" "hmac show" "hmac regenerate" "workspace show" "versions")
help_ok=0
for c in "${commands[@]}"; do
    # shellcheck disable=SC2086 # the command is two words on purpose
    hc $c --help
    if [ "$rc" -eq 0 ] && grep -q "^Usage: hookctl $c" "$tmp/out" && grep -q 'Exit status' "$tmp/out"; then
        help_ok=$((help_ok + 1))
    else
        fail "$c --help" "status $rc" "$(head -c 300 "$tmp/out")"
    fi
done
[ "$help_ok" -eq "${#commands[@]}" ] && pass "every command's --help (${#commands[@]}) shows its usage"
hc help groups
expect "help GROUP lists the group's commands" 0 'add-customer' 'remove-customer'
hc --version
expect "--version" 0 '^hookctl [0-9]'

hc
expect_err "no command is a usage error" 2 'Usage: hookctl'
hc frobnicate
expect_err "an unknown command is a usage error" 2 "unknown command 'frobnicate'"
hc customers frobnicate
expect_err "an unknown subcommand is a usage error" 2 "unknown command 'customers frobnicate'"
hc customers list --bogus
expect_err "an unknown option is a usage error" 2 'unknown option --bogus'
hc customers upsert --email x@example.com
expect_err "a missing required option is a usage error" 2 '--full-name is required'
hc groups show
expect_err "a missing argument is a usage error" 2 'missing argument'
hc groups show a b
expect_err "an extra argument is a usage error" 2 "unexpected argument 'b'"
hc customers list --first zero
expect_err "a malformed number is a usage error" 2 '--first must be a whole number'
hc customers list --first 101
expect_err "a page larger than 100 is a usage error" 2 '--first must be a whole number from 1 to 100'
hc customers list --first 1 --before x
expect_err "--first with --before is a usage error" 2 'cannot be mixed'
hc customers list --spam --not-spam
expect_err "--spam with --not-spam is a usage error" 2 'exclude each other'
hc customers show --id a --email b
expect_err "two customer selectors is a usage error" 2 'one of --id'
hc customers show
expect_err "no customer selector is a usage error" 2 'one of --id'
hc --json=yes workspace show
expect_err "a value given to a flag is a usage error" 2 '--json takes no value'
hc customers list --after
expect_err "an option without its value is a usage error" 2 '--after needs a value'
hc --url ftp://127.0.0.1/graphql/v1 workspace show
expect_err "a server URL that is not http(s) is a usage error" 2 'must start with http'
rc=0
env -u HOOKD_API_KEY timeout 20 "$ctl" workspace show >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_err "no API key is a usage error" 2 'no API key'

# ---- workspace, versions, HMAC ----

hc workspace show
expect "workspace show prints the workspace" 0 "id +$workspace_id" 'created +[0-9]{4}-[0-9]{2}-[0-9]{2}T'
hc --json workspace show
check_js "workspace show --json is the myWorkspace data" "d.myWorkspace.id === '$workspace_id'"

hc versions
expect "versions is a table" 0 '^VERSION +LATEST +DEPRECATED' '^[0-9]{4}-[0-9]{2}-[0-9]{2} '
hc versions --json
check_js "versions --json: exactly one latest version" \
    "d.webhookVersions.edges.filter(e => e.node.isLatest).length === 1"

hc hmac show
expect_err "hmac show before any secret is not found (4)" 4 'no HMAC secret'
hc hmac regenerate
expect "hmac regenerate prints a new secret" 0 'secret +[0-9a-f]{32,}'
hc --json hmac show
secret=$(js 'd.workspaceHmac.hmacSecret')
hc hmac show
expect "hmac show shows the regenerated secret" 0 "secret +$secret"

# ---- customers ----

hc customers upsert --email ann@example.com --full-name "Ann Example" --short-name Ann \
    --external-id ext-ann
expect "customers upsert creates" 0 '^CREATED' 'email +ann@example.com' 'external id +ext-ann' \
    'email verified +no'
hc --json customers upsert --email ann@example.com --full-name "Ann Example"
check_js "upserting the same again is NOOP" "d.upsertCustomer.result === 'NOOP'"
ann=$(js 'd.upsertCustomer.customer.id')
hc customers upsert --email ann@example.com --full-name "Ann Changed" --verified
expect "customers upsert updates" 0 '^UPDATED' 'full name +Ann Changed' 'email verified +yes'
hc customers upsert --email bob@example.com --full-name Bob --json
check_js "customers upsert --json is the upsertCustomer payload" \
    "d.upsertCustomer.result === 'CREATED' && d.upsertCustomer.error === null"
bob=$(js 'd.upsertCustomer.customer.id')
hc customers upsert --email not-an-email --full-name X
expect_err "an invalid email fails (1) with the code and the field" 1 'input_validation'

hc customers show --id "$ann"
expect "customers show --id" 0 "id +$ann" 'full name +Ann Changed'
hc customers show --email bob@example.com
expect "customers show --email" 0 "id +$bob"
hc customers show --external-id ext-ann --json
check_js "customers show --external-id --json" "d.customerByExternalId.id === '$ann'"
hc customers show --id c_00000000000000000000000000
expect_err "customers show of an unknown id is not found (4)" 4 'no customer with id'
hc customers show --email nobody@example.com --json
check_js "customers show --json of nobody still prints the data" "d.customerByEmail === null"
if [ "$rc" -eq 4 ]; then
    pass "customers show --json of nobody is 4"
else
    fail "customers show --json of nobody is 4" "status $rc"
fi
hc customers show --external-id nope
expect_err "customers show of an unknown external id is not found (4)" 4 'no customer with external id'

hc customers list
expect "customers list is a table with a footer" 0 '^ID +EMAIL +FULL NAME' 'ann@example.com' \
    'bob@example.com' '^2 of 2 customers'
hc customers list --first 1
expect "customers list --first 1 offers the next page" 0 'ann@example.com' 'next page: --after '
cursor=$(sed -n 's/^next page: --after //p' "$tmp/out")
hc customers list --first 1 --after "$cursor" --json
check_js "customers list --after the cursor gives the next customer" \
    "d.customers.edges.length === 1 && d.customers.edges[0].node.id === '$bob' && d.customers.totalCount === 2"
hc customers list --last 1 --json
check_js "customers list --last 1 gives the newest" "d.customers.edges[0].node.id === '$bob'"
hc customers list --sort -name --json
check_js "customers list --sort -name is Z to A" \
    "d.customers.edges.map(e => e.node.fullName).join() === 'Bob,Ann Changed'"
hc customers list --sort name --first 1
expect "customers list --sort name pages by name" 0 'Ann Changed' 'next page: --after '
cursor=$(sed -n 's/^next page: --after //p' "$tmp/out")
hc customers list --sort name --first 1 --after "$cursor" --json
check_js "customers list --sort name --after the cursor gives the next name" \
    "d.customers.edges.length === 1 && d.customers.edges[0].node.id === '$bob'"
hc customers list --sort age
expect_err "customers list --sort of something else is a usage error" 2 '--sort must be name'
hc customers list --updated-after 2100-01-01T00:00:00Z --json
check_js "customers list --updated-after the future is empty" \
    "d.customers.edges.length === 0 && d.customers.totalCount === 0"
hc customers list --updated-after 2000-01-01T00:00:00Z --updated-before 2100-01-01T00:00:00Z --json
check_js "customers list between 2000 and 2100 has both" "d.customers.totalCount === 2"
hc customers list --updated-before yesterday
expect_err "customers list --updated-before of a non-time is refused by the server (1)" 1 \
    'filters.updatedAt.before'

hc customers mark-spam "$bob"
expect "customers mark-spam" 0 "id +$bob" 'spam since +[0-9]{4}-'
hc customers mark-spam "$bob"
expect_err "marking twice fails (1) with Plain's code" 1 'customer_already_marked_as_spam'
hc customers list --spam --json
check_js "customers list --spam" "d.customers.edges.map(e => e.node.id).join() === '$bob'"
hc customers list --not-spam --json
check_js "customers list --not-spam" "d.customers.edges.map(e => e.node.id).join() === '$ann'"
hc customers unmark-spam "$bob"
expect "customers unmark-spam" 0 'spam since +-'
hc customers unmark-spam "$bob"
expect_err "unmarking twice fails (1)" 1 'customer_is_not_marked_as_spam'
hc customers mark-spam c_00000000000000000000000000
expect_err "customers mark-spam of an unknown id is not found (4)" 4 'not_found'

# ---- groups ----

hc groups create --name VIP --key vip --color '#D66258'
expect "groups create" 0 'key +vip' 'name +VIP' 'color +#D66258'
hc groups create --name Beta --key beta --color '#00AA00' --external-id g-beta --json
check_js "groups create --json" "d.createCustomerGroup.customerGroup.externalId === 'g-beta'"
beta=$(js 'd.createCustomerGroup.customerGroup.id')
hc groups create --name Again --key vip --color '#000000'
expect_err "a duplicate group key fails (1) with Plain's code" 1 'customer_group_key_already_exists'
if grep -q 'key: ' "$tmp/err"; then
    pass "the failing field is printed"
else
    fail "the failing field is printed" "$(cat "$tmp/err")"
fi
hc groups create --name Bad --key bad --color red
expect_err "a bad colour fails (1)" 1 'input_validation'

hc groups list
expect "groups list" 0 '^ID +KEY +NAME +COLOR +EXTERNAL ID' ' vip ' ' beta '
hc groups show "$beta"
expect "groups show" 0 "id +$beta" 'external id +g-beta'
hc groups show cg_00000000000000000000000000
expect_err "groups show of an unknown id is not found (4)" 4 'no customer group'
hc groups update "$beta" --name "Beta testers" --external-id ""
expect "groups update; an empty --external-id removes it" 0 'name +Beta testers' 'external id +-$'
hc groups update "$beta"
expect_err "groups update with nothing to change is a usage error" 2 'nothing to change'
hc groups update cg_00000000000000000000000000 --name x
expect_err "groups update of an unknown id is not found (4)" 4 'not_found'

hc groups add-customer "$ann" --group-key vip --group-id "$beta"
expect "groups add-customer by key and by id" 0 '^member of:' ' vip ' ' beta '
hc groups add-customer "$ann" --group-key nope
expect_err "groups add-customer to an unknown group is not found (4)" 4 'not_found'
hc groups add-customer "$ann"
expect_err "groups add-customer without a group is a usage error" 2 'at least one'
hc customers show --id "$ann"
expect "customers show lists the groups" 0 'groups +vip, beta'
hc customers list --group-key beta --json
check_js "customers list --group-key" "d.customers.edges.map(e => e.node.id).join() === '$ann'"
hc groups delete "$beta"
expect_err "deleting a group with members fails (1)" 1 'customer_group_has_memberships'
hc groups remove-customer "$ann" --group-id "$beta"
expect "groups remove-customer" 0 '^done'
hc customers show --id "$ann"
expect "the customer is no longer in the group" 0 'groups +vip$'
hc groups delete "$beta"
expect "groups delete" 0 '^done'
hc groups delete "$beta"
expect_err "deleting it again is not found (4)" 4 'not_found'

# A name holding terminal escapes: the control characters are shown as escapes, not sent raw.
hc groups create --name $'Evil\e[31mRed\a' --key evil --color '#123456'
expect "a name with control characters is shown cleaned" 0 'name +Evil\\x1b\[31mRed\\x07'
if grep -q $'\e' "$tmp/out"; then
    fail "no escape byte reaches the terminal" "stdout: $(head -c 300 "$tmp/out" | od -c | head -5)"
else
    pass "no escape byte reaches the terminal"
fi

# Lists that are read page by page (100 a page) are still one --json document.
for i in $(seq 1 101); do
    bounded "$ctl" groups create --name "Bulk $i" --key "bulk-$i" --color '#101010' \
        >/dev/null 2>>"$tmp/all-stderr" || { fail "creating bulk group $i"; break; }
done
hc groups list --json
check_js "groups list --json holds every page" \
    "d.customerGroups.edges.length === 103 && d.customerGroups.pageInfo.hasNextPage === false"
hc groups list
n=$(grep -c ' bulk-' "$tmp/out")
if [ "$n" -eq 101 ]; then
    pass "groups list shows every page"
else
    fail "groups list shows every page" "$n bulk rows"
fi

# ---- targets ----

dead=$(closed_port)
hc targets create --url "http://127.0.0.1:$dead/hook" --event customer.customer_created \
    --event customer.customer_updated --description "dev box"
expect "targets create (its --url is the target's)" 0 "url +http://127.0.0.1:$dead/hook" \
    'enabled +yes' 'events +customer.customer_created, customer.customer_updated' \
    'description +dev box'
hc --json targets list
target=$(js 'd.webhookTargets.edges[0].node.id')
hc targets create --url "https://user:secret@example.com/h" --event customer.customer_deleted \
    --version 2024-09-18 --disabled
expect "targets create --version --disabled; the password is masked" 0 'version +2024-09-18' \
    'enabled +no' 'url +https://user:\*\*\*@example.com/h'
hc targets create --url "https://example.com/h" --event no.such_event
expect_err "an unknown event type fails (1)" 1 'input_validation'
rc=0
env -u HOOKD_URL timeout 20 "$ctl" --url "$base/graphql/v1" targets create \
    --url "https://example.com/x" --event customer.customer_created \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
expect "the server's --url before the command, the target's after it" 0 'url +https://example.com/x'
other=$(sed -n 's/^  id  *//p' "$tmp/out")

hc targets list
expect "targets list" 0 '^ID +URL +VERSION +ENABLED +EVENTS +DELIVERY +DESCRIPTION' "$target" 'dev box'
hc targets show "$target"
expect "targets show" 0 "id +$target" 'version +[0-9]{4}-' 'delivery +any order, no rate cap'
hc targets delivery "$target" --ordered-by-customer --max-rps 50
expect "targets delivery sets ordering and a rate cap" 0 'delivery +ordered by customer, 50/s'
hc targets list
expect "targets list shows the delivery settings" 0 "$target.*ordered by customer, 50/s"
hc targets delivery "$target" --max-rps none
expect "targets delivery --max-rps none removes the cap" 0 'delivery +ordered by customer$'
hc targets delivery "$target" --max-rps 0
expect_err "--max-rps 0 is a usage error" 2 'from 1 to 100000'
hc targets delivery "$target" --ordered-by-customer --any-order
expect_err "--ordered-by-customer with --any-order is a usage error" 2 'exclude each other'
hc targets delivery "$target"
expect_err "targets delivery with nothing to change is a usage error" 2 'nothing to change'
hc targets delivery whTarget_00000000000000000000000000 --any-order
expect_err "targets delivery of an unknown id is not found (4)" 4 'not_found'
hc targets delivery "$target" --any-order
expect "targets delivery --any-order" 0 'delivery +any order, no rate cap'
hc targets show whTarget_00000000000000000000000000
expect_err "targets show of an unknown id is not found (4)" 4 'no webhook target'
hc targets update "$target" --disable --description "paused"
expect "targets update --disable" 0 'enabled +no' 'description +paused'
hc targets update "$target" --enable --event customer.customer_created --event customer.customer_updated \
    --event customer.customer_deleted
expect "targets update --enable --event replaces the subscriptions" 0 'enabled +yes' \
    'events +customer.customer_created, customer.customer_updated, customer.customer_deleted'
hc targets update "$target" --enable --disable
expect_err "--enable with --disable is a usage error" 2 'exclude each other'
hc targets update "$target"
expect_err "targets update with nothing to change is a usage error" 2 'nothing to change'
hc targets update whTarget_00000000000000000000000000 --enable
expect_err "targets update of an unknown id is not found (4)" 4 'not_found'
hc targets delete "$other"
expect "targets delete" 0 '^deleted'
hc targets delete "$other"
expect_err "deleting it again is not found (4)" 4 'not_found'

hc targets test "$target"
expect "targets test prints the test event's id" 0 'test event +[A-Za-z]+_[0-9A-Z]+'
test_event=$(sed -n 's/^  test event  *//p' "$tmp/out")
hc targets test whTarget_00000000000000000000000000
expect_err "targets test of an unknown target is not found (4)" 4 'not_found'

# ---- deliveries ----

hc customers upsert --email carol@example.com --full-name Carol >/dev/null
hc deliveries list "$target"
expect "deliveries list" 0 '^delivery: any order, no rate cap' '^EVENT ID +TYPE +STATUS +ATTEMPTS' \
    "$test_event" 'customer.customer_created'
hc deliveries list "$target" --json
check_js "deliveries list --json" \
    "d.hookdWebhookDeliveries.edges.some(e => e.node.eventId === '$test_event')"
hc deliveries list "$target" --status pending --json
check_js "deliveries list --status" \
    "d.hookdWebhookDeliveries.edges.every(e => e.node.status === 'PENDING')"
hc deliveries list "$target" --first 1
expect "deliveries list --first 1 offers the next page" 0 'next page: --after '
hc deliveries list "$target" --status bogus
expect_err "an unknown --status is a usage error" 2 '--status must be'
hc deliveries list whTarget_00000000000000000000000000
expect_err "deliveries list of an unknown target is not found (4)" 4 'no webhook target'

hc deliveries attempts "$target" "$test_event" --json
check_js "deliveries attempts --json is the delivery with its attempts" \
    "d.hookdWebhookDeliveries.edges[0].node.eventId === '$test_event' && Array.isArray(d.hookdWebhookDeliveries.edges[0].node.attempts)"
n_attempts=$(js 'd.hookdWebhookDeliveries.edges[0].node.attempts.length')
hc deliveries attempts "$target" "$test_event"
if [ "$n_attempts" -gt 0 ]; then
    expect "deliveries attempts shows each attempt" 0 "event id +$test_event" \
        '^# +STARTED +DURATION +STATUS +ERROR +RESPONSE' ' ms '
else
    expect "deliveries attempts (none yet)" 0 "event id +$test_event" 'status +[A-Z]+' \
        'no attempts yet'
fi
hc deliveries attempts "$target" pEv_00000000000000000000000000
expect_err "deliveries attempts of an unknown event is not found (4)" 4 'no delivery of event'
hc deliveries attempts whTarget_00000000000000000000000000 "$test_event"
expect_err "deliveries attempts of an unknown target is not found (4)" 4 'no webhook target'

hc deliveries resend "$target" "$test_event"
expect "deliveries resend" 0 '^queued'
hc deliveries resend "$target" pEv_00000000000000000000000000
expect_err "deliveries resend of an unknown event is not found (4)" 4 'not_found'
hc deliveries recover "$target" --since 2020-01-01T00:00:00Z
expect "deliveries recover" 0 '^queued again: [0-9]+ failed deliveries'
hc deliveries recover "$target" --since 2020-01-01T00:00:00Z --json
check_js "deliveries recover --json has the count" \
    "Number.isInteger(d.hookdResendFailedWebhookDeliveries.count)"
hc deliveries recover "$target" --since yesterday
expect_err "deliveries recover with a bad time fails (1)" 1 'since'
hc deliveries recover "$target"
expect_err "deliveries recover without --since is a usage error" 2 '--since is required'

# ---- deleting a customer ----

hc customers delete "$bob"
expect "customers delete" 0 '^deleted'
hc customers delete "$bob"
expect_err "deleting a customer again is not found (4)" 4 'not_found'

# ---- authentication (3) ----

hc --api-key hkey_wrong workspace show
expect_err "a wrong API key is an authentication error (3)" 3 'UNAUTHENTICATED'
hc customers delete "$ann" --api-key hkey_wrong
expect_err "a wrong API key on a mutation is 3 too" 3 'UNAUTHENTICATED'
hc customers show --id "$ann"
expect "... and changed nothing" 0 "id +$ann"

# A key that may write customers but not read their groups: the customer, without the groups.
bounded "$bin" key-create --data-dir "$tmp/data" --workspace "$workspace_id" \
    --permissions customer:read,customer:create,customer:edit --log-level warn >"$tmp/key2" 2>&1
narrow=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$tmp/key2")
hc --api-key "$narrow" customers upsert --email narrow@example.com --full-name Narrow
expect "customers upsert with a key that may not read groups" 0 '^CREATED' \
    'email +narrow@example.com' 'groups +not shown'
hc --api-key "$narrow" customers show --email narrow@example.com
expect "customers show with a key that may not read groups" 0 'full name +Narrow' 'groups +not shown'
hc customers show --email narrow@example.com
expect "... and an all-permission key sees them" 0 'full name +Narrow' 'groups +-?$'

# ---- the server cannot be reached (5) ----

hc --url "http://127.0.0.1:$(closed_port)/graphql/v1" workspace show
expect_err "connection refused is exit status 5" 5 'cannot reach'
hc --url "$base/nope" workspace show
expect_err "an answer that is not GraphQL (404) is 5" 5 'HTTP 404'
hc --url "http://user:pw-secret@127.0.0.1:$(closed_port)/graphql/v1" versions
if [ "$rc" -eq 5 ] && ! grep -q 'pw-secret' "$tmp/err"; then
    pass "credentials in --url are masked in messages"
else
    fail "credentials in --url are masked in messages" "status $rc: $(cat "$tmp/err")"
fi

# ---- canned answers: attempts as a receiver made them, a failing server ----

# A stand-in for hookd that answers by operation name, for what the real server cannot be made
# to answer here: attempts with status codes and a hostile response excerpt, a 500, and a 200
# that is not GraphQL.
cat >"$tmp/fake.mjs" <<'EOF'
import http from "node:http";
import fs from "node:fs";
const attempt = (number, statusCode, error, responseExcerpt) => ({
    id: "pAtt_" + number, number, startedAt: { iso8601: "2026-01-31T12:00:0" + number + ".000Z" },
    durationMs: 12 * number, statusCode, error, responseExcerpt });
const answers = {
    hookctlDeliveryScan: { hookdWebhookDeliveries: { pageInfo: { hasNextPage: false, endCursor: "pEv_2" },
        edges: [{ cursor: "pEv_1", node: { eventId: "pEv_1" } }, { cursor: "pEv_2", node: { eventId: "pEv_2" } }] } },
    hookctlDelivery: { hookdWebhookDeliveries: { edges: [{ node: {
        eventId: "pEv_2", eventType: "customer.customer_created", webhookTargetId: "whTarget_1",
        status: "FAILED", attemptCount: 3, nextAttemptAt: null,
        createdAt: { iso8601: "2026-01-31T12:00:00.000Z" }, updatedAt: { iso8601: "2026-01-31T12:00:03.000Z" },
        attempts: [attempt(1, 500, "HTTP 500", "oops\u001b[2J\nmore"), attempt(2, null, "timeout", null),
                   attempt(3, 302, "redirect not followed", "")] } }] } },
};
const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
        if (req.url === "/500") { res.writeHead(500); return res.end("internal"); }
        if (req.url === "/html") { res.writeHead(200, { "content-type": "text/html" }); return res.end("<html>"); }
        const name = (JSON.parse(body).query.match(/^\s*(?:query|mutation)\s+(\w+)/) || [])[1];
        const data = answers[name];
        res.writeHead(data ? 200 : 400, { "content-type": "application/json" });
        res.end(JSON.stringify(data ? { data } : { errors: [{ message: "unexpected " + name,
            extensions: { code: "BAD_USER_INPUT" } }] }));
    });
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(process.argv[2], String(server.address().port)));
EOF
node "$tmp/fake.mjs" "$tmp/fake.port" 2>>"$tmp/serve.log" &
started_pids+=("$!")
for ((i = 0; i < 200; i++)); do
    [ -s "$tmp/fake.port" ] && break
    sleep 0.05
done
if [ -s "$tmp/fake.port" ]; then
    fake=http://127.0.0.1:$(cat "$tmp/fake.port")
    hc --url "$fake/graphql/v1" deliveries attempts whTarget_1 pEv_2
    expect "deliveries attempts: one row per attempt" 0 'status +FAILED' 'attempts +3' \
        '^# +STARTED +DURATION +STATUS +ERROR +RESPONSE' \
        '^1 +2026-01-31T12:00:01.000Z +12 ms +500 +HTTP 500 +oops\\x1b\[2J\\nmore$' \
        '^2 +2026-01-31T12:00:02.000Z +24 ms +- +timeout +-$' '^3 .* 302 +redirect not followed'
    hc --url "$fake/graphql/v1" deliveries attempts whTarget_1 pEv_9
    expect_err "deliveries attempts of an event not in the list is not found (4)" 4 'no delivery'
    hc --url "$fake/500" workspace show
    expect_err "an HTTP 500 is exit status 5" 5 'HTTP 500'
    hc --url "$fake/html" workspace show
    expect_err "a 200 that is not GraphQL is exit status 5" 5 'without a GraphQL response'
else
    fail "the canned-answer server starts" "$(tail -c 400 "$tmp/serve.log")"
fi

# ---- colours ----

if grep -q $'\e' "$tmp/all-stdout" "$tmp/all-stderr"; then
    fail "no escape codes when stdout is not a terminal" "$(grep -a $'\e' "$tmp/all-stdout" | head -3 | cat -v)"
else
    pass "no escape codes when stdout is not a terminal ($(wc -l <"$tmp/all-stdout") lines)"
fi
if command -v script >/dev/null; then
    # script(1) runs the command on a pseudo-terminal.
    tty_run() { bounded script -qec "$1" /dev/null 2>/dev/null | tr -d '\r'; }
    tty_run "'$ctl' versions" >"$tmp/tty"
    if has_escape "$tmp/tty"; then
        pass "colours on a terminal"
    else
        fail "colours on a terminal" "$(cat -v "$tmp/tty" | head -3)"
    fi
    tty_run "'$ctl' --no-color versions" >"$tmp/tty"
    if has_escape "$tmp/tty"; then fail "--no-color on a terminal"; else pass "--no-color on a terminal"; fi
    NO_COLOR=1 tty_run "'$ctl' versions" >"$tmp/tty"
    if has_escape "$tmp/tty"; then fail "NO_COLOR on a terminal"; else pass "NO_COLOR on a terminal"; fi
    tty_run "'$ctl' groups list" >"$tmp/tty"
    if grep -q $'\e\\[31mRed' "$tmp/tty"; then
        fail "stored escapes stay cleaned on a terminal"
    else
        pass "stored escapes stay cleaned on a terminal"
    fi
else
    echo "skip - colours on a terminal (no script(1))"
fi

# ---- the key is never printed ----

if grep -qF -- "$key" "$tmp/all-stdout" "$tmp/all-stderr"; then
    fail "the API key never appears in any output"
else
    pass "the API key never appears in any output"
fi

# ---- server down (5) ----

kill -TERM "$server_pid" 2>/dev/null
for ((i = 0; i < 200; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
done
kill -KILL "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
hc workspace show
expect_err "after the server stopped: exit status 5" 5 'cannot reach'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
