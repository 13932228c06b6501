// app.js - hookd's operator dashboard: webhook targets, their deliveries and attempts,
// events, customers and the workspace's HMAC secret, over hookd's own GraphQL API.
//
// No framework and no build step: the DOM is made with createElement and text nodes only
// (no string is ever parsed as HTML, so nothing hookd returns can become markup), views are
// plain functions picked by the URL's hash, and the page talks to nothing but
// POST ../graphql/v1 with the API key as a Bearer token. The key lives in sessionStorage: it is
// gone when the tab is.
//
// Updates without reload: the view on screen polls every 3 s while the tab is visible (one
// small read; paused when hidden, refreshed at once when shown again) and redraws only what
// changed, keeping focus and open <details>. Polling, not server-sent events: the browser's
// event-stream client cannot send an Authorization header (the key would have to go in a URL,
// and from there into logs), and a stream per open tab would hold one of hookd's HTTP workers.
"use strict";

const API_URL = new URL("../graphql/v1", document.baseURI).pathname;
const KEY_ITEM = "hookd.apiKey";
const POLL_MS = 3000;
const PAGE = 25;
const MAX_PAGE = 100;
const EVENT_TYPES = [
  ["customer.customer_created", "Customer created"],
  ["customer.customer_updated", "Customer updated"],
  ["customer.customer_deleted", "Customer deleted"],
  ["customer.customer_group_memberships_changed", "Group memberships changed"],
];
const STATUSES = ["PENDING", "SUCCEEDED", "FAILED", "CANCELLED"];

// ---- DOM ---------------------------------------------------------------------------------

const PROPS = new Set(["checked", "disabled", "hidden", "value", "required", "open", "selected"]);

// h("button", { class: "quiet", onclick: fn, "aria-label": "..." }, "text", child, ...)
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (PROPS.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const $ = (id) => document.getElementById(id);

let uid = 0;
const newId = (prefix) => `${prefix}-${++uid}`;

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return h(
    "time",
    { datetime: iso, title: iso },
    d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }),
  );
}

function badge(kind, text) {
  return h("span", { class: `badge ${kind}` }, text);
}

const STATUS_BADGE = { PENDING: "wait", SUCCEEDED: "ok", FAILED: "bad", CANCELLED: "off" };
const statusBadge = (s) => badge(STATUS_BADGE[s] || "off", s.charAt(0) + s.slice(1).toLowerCase());

function facts(rows) {
  return h(
    "dl",
    { class: "facts" },
    rows.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

// A table whose rows become labelled blocks on a phone (app.css, table.stack).
function table(caption, columns, rows, cls = "") {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: `stack ${cls}` },
      caption && h("caption", { class: "muted" }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((cells) =>
          h(
            "tr",
            {},
            cells.map((c, i) => h("td", { "data-label": columns[i] }, c)),
          ),
        ),
      ),
    ),
  );
}

// ---- messages ------------------------------------------------------------------------------

function say(text) {
  $("alert").textContent = "";
  // Cleared first, so that the same message said twice is announced twice.
  $("status").textContent = "";
  requestAnimationFrame(() => {
    $("status").textContent = text;
  });
}

function alarm(text) {
  $("alert").textContent = text;
}

function clearMessages() {
  $("status").textContent = "";
  $("alert").textContent = "";
}

// ---- the API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, { code = "", fields = [] } = {}) {
    super(message);
    this.code = code;
    this.fields = fields; // [{ field, message }] of a MutationError
  }
}

const apiKey = () => sessionStorage.getItem(KEY_ITEM);

async function gql(query, variables = {}) {
  let res;
  try {
    res = await fetch(API_URL, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey() || ""}` },
      body: JSON.stringify({ query, variables }),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError("Could not reach hookd. Is it running?", { code: "NETWORK" });
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: reported below */
  }
  if (res.status === 401)
    throw new ApiError("hookd refused this API key.", { code: "UNAUTHENTICATED" });
  const errors = body && body.errors;
  if (errors && errors.length) {
    const code = (errors[0].extensions && errors[0].extensions.code) || `HTTP ${res.status}`;
    const message = errors.map((e) => e.message).join("; ");
    throw new ApiError(
      code === "FORBIDDEN" ? `This API key may not do that: ${message}` : message,
      { code },
    );
  }
  if (!res.ok || !body || !body.data) throw new ApiError(`hookd answered HTTP ${res.status}.`);
  return body.data;
}

// A mutation whose output has `error: MutationError`; that error is thrown.
async function mutate(query, variables, field) {
  const out = (await gql(query, variables))[field];
  if (out && out.error) {
    const e = out.error;
    throw new ApiError(e.message, { code: e.code, fields: e.fields || [] });
  }
  return out;
}

const ERROR = "error { code message fields { field message } }";
const DELIVERY_FIELDS = `eventId eventType webhookTargetId status attemptCount
  nextAttemptAt { iso8601 } waitingForEarlierDelivery createdAt { iso8601 }
  attempts { id number startedAt { iso8601 } durationMs statusCode error responseExcerpt
    requestHeaders { name value masked } }`;
const TARGET_FIELDS = `id url description version isEnabled createdAt { iso8601 }
  eventSubscriptions { eventType }
  hookdDelivery { orderedByCustomer maxRequestsPerSecond failingSince { iso8601 } autoDisabledAt { iso8601 } }`;

const Q = {
  versions: "{ webhookVersions { edges { node { version isLatest isDeprecated } } } }",
  targets: `{ webhookTargets(first: 100) { edges { node { ${TARGET_FIELDS} } } } }`,
  target: `query t($id: ID!) { webhookTarget(webhookTargetId: $id) { ${TARGET_FIELDS} } }`,
  createTarget: `mutation c($input: CreateWebhookTargetInput!) {
    createWebhookTarget(input: $input) { webhookTarget { id } ${ERROR} } }`,
  updateTarget: `mutation u($input: UpdateWebhookTargetInput!) {
    updateWebhookTarget(input: $input) { webhookTarget { id isEnabled } ${ERROR} } }`,
  deleteTarget: `mutation d($input: DeleteWebhookTargetInput!) {
    deleteWebhookTarget(input: $input) { ${ERROR} } }`,
  targetDelivery: `mutation s($input: HookdUpdateWebhookTargetDeliveryInput!) {
    hookdUpdateWebhookTargetDelivery(input: $input) { webhookTarget { id } ${ERROR} } }`,
  sendTest: `mutation t($input: HookdSendTestWebhookEventInput!) {
    hookdSendTestWebhookEvent(input: $input) { eventId ${ERROR} } }`,
  deliveries: `query d($id: ID!, $status: HookdWebhookDeliveryStatus, $last: Int) {
    hookdWebhookDeliveries(webhookTargetId: $id, status: $status, last: $last) {
      edges { node { ${DELIVERY_FIELDS} } } pageInfo { hasPreviousPage } } }`,
  resend: `mutation r($input: HookdResendWebhookEventInput!) {
    hookdResendWebhookEvent(input: $input) { ${ERROR} } }`,
  recover: `mutation r($input: HookdResendFailedWebhookDeliveriesInput!) {
    hookdResendFailedWebhookDeliveries(input: $input) { count ${ERROR} } }`,
  event: `query e($id: ID!) { hookdEvent(eventId: $id) { id eventType customerId timestamp { iso8601 }
    payload deliveries { ${DELIVERY_FIELDS} } } }`,
  targetNames: "{ webhookTargets(first: 100) { edges { node { id url description } } } }",
  customerByEmail: `query c($email: String!) { customerByEmail(email: $email) { id } }`,
  recentCustomers: `query c($last: Int) { customers(last: $last) { edges { node {
    id fullName email { email } createdAt { iso8601 } } } } }`,
  customer: `query c($id: ID!, $last: Int) {
    customer(customerId: $id) { id fullName shortName externalId email { email isVerified }
      markedAsSpamAt { iso8601 } createdAt { iso8601 } updatedAt { iso8601 }
      customerGroupMemberships(first: 100) { edges { node { customerGroup { id name key color } } } } }
    hookdEvents(customerId: $id, last: $last) { edges { node { id eventType timestamp { iso8601 } } } } }`,
  workspace: `{ myWorkspace { id name } }`,
  hmac: `{ workspaceHmac { hmacSecret updatedAt { iso8601 } } }`,
  regenerate: `mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret updatedAt { iso8601 } } ${ERROR} } }`,
};

const edges = (conn) => conn.edges.map((e) => e.node);

// ---- buttons that run an action ------------------------------------------------------------

// Runs `action` with the button disabled; its outcome is said in the live regions.
async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (e) {
    report(e);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// A destructive button asks once more in place: the first press turns it into
// "Confirm …" (focused, announced), the second acts, leaving it or Escape cancels.
function dangerButton(label, confirmLabel, action, key) {
  let armed = false;
  const b = h("button", { type: "button", class: "danger", "data-key": key }, label);
  const disarm = () => {
    armed = false;
    b.textContent = label;
    b.classList.remove("confirm");
  };
  b.addEventListener("click", () => {
    if (!armed) {
      armed = true;
      b.textContent = confirmLabel;
      b.classList.add("confirm");
      say(`Press “${confirmLabel}” again to confirm, or Escape to cancel.`);
      return;
    }
    disarm();
    busy(b, action);
  });
  b.addEventListener("blur", disarm);
  b.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && armed) {
      disarm();
      say("Cancelled.");
    }
  });
  return b;
}

function report(e) {
  if (e instanceof ApiError && e.code === "UNAUTHENTICATED") {
    signOut("hookd no longer accepts this API key (revoked?). Sign in again.");
    return;
  }
  const fields =
    e instanceof ApiError && e.fields.length
      ? ` (${e.fields.map((f) => `${f.field}: ${f.message}`).join("; ")})`
      : "";
  alarm(`${e.message}${fields}`);
}

// ---- keyed redraws: polling must not steal focus or close what the user opened -------------

// Replaces the children of `list` by `items` (each { key, sig, make() }), reusing the
// elements whose signature is unchanged. Focus on a replaced element moves to the element
// with the same data-key in its replacement; open <details> stay open (data-key too).
function reconcile(list, items) {
  const old = new Map();
  for (const el of list.children) old.set(el.dataset.row, el);
  const focused =
    document.activeElement && list.contains(document.activeElement)
      ? document.activeElement.dataset.key
      : null;
  const open = new Set([...list.querySelectorAll("details[open]")].map((d) => d.dataset.key));
  const next = items.map((it) => {
    const prev = old.get(it.key);
    if (prev && prev.dataset.sig === it.sig) return prev;
    const el = it.make();
    el.dataset.row = it.key;
    el.dataset.sig = it.sig;
    for (const d of el.querySelectorAll("details[data-key]"))
      if (open.has(d.dataset.key)) d.open = true;
    return el;
  });
  list.replaceChildren(...next);
  if (focused && !list.contains(document.activeElement)) {
    const again = list.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

// ---- routing -------------------------------------------------------------------------------

const routes = [
  [/^\/targets$/, viewTargets, "targets"],
  [/^\/targets\/new$/, (p) => viewTargetForm(null, p), "targets"],
  [/^\/targets\/([^/]+)\/edit$/, (p, id) => viewTargetForm(id, p), "targets"],
  [/^\/targets\/([^/]+)$/, viewDeliveries, "targets"],
  [/^\/events\/([^/]+)$/, viewEvent, "targets"],
  [/^\/customers$/, viewCustomers, "customers"],
  [/^\/customers\/([^/]+)$/, viewCustomer, "customers"],
  [/^\/workspace$/, viewWorkspace, "workspace"],
];

let current = { poll: null, timer: 0, seq: 0 };

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/targets";
  const [path, query = ""] = raw.split("?");
  return { path, params: new URLSearchParams(query) };
}

// A message said just before an action moves to another view ("Target created." → the list)
// stays for that one move; any other navigation clears what was said.
let keepMessage = false;

function go(hash) {
  if (location.hash === hash) {
    route();
  } else {
    keepMessage = true;
    location.hash = hash;
  }
}

async function route() {
  stopPolling();
  const seq = ++current.seq;
  const main = $("main");
  if (!apiKey()) {
    showSignIn();
    return;
  }
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  const { path, params } = parseHash();
  let found = routes.find(([re]) => re.test(path));
  if (!found) found = routes[0];
  const [re, view, section] = found;
  for (const a of document.querySelectorAll("#nav a"))
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  const args = (re.exec(path) || []).slice(1).map(decodeURIComponent);
  $("alert").textContent = "";
  main.setAttribute("aria-busy", "true");
  try {
    const screen = await view(params, ...args);
    if (seq !== current.seq) return; // the user went elsewhere meanwhile
    main.replaceChildren(screen.node);
    document.title = `${screen.title} · hookd`;
    focusHeading(main);
    if (screen.poll) startPolling(screen.poll, seq);
  } catch (e) {
    if (seq !== current.seq) return;
    main.replaceChildren(
      h("h1", { tabindex: "-1" }, "Something went wrong"),
      h("p", {}, e.message),
    );
    focusHeading(main);
    report(e);
  } finally {
    if (seq === current.seq) main.removeAttribute("aria-busy");
  }
}

// A new view: keyboard and screen reader users start at its heading.
function focusHeading(main) {
  const h1 = main.querySelector("h1");
  if (h1) {
    h1.setAttribute("tabindex", "-1");
    h1.focus();
  } else {
    main.focus();
  }
}

function startPolling(poll, seq) {
  current.poll = poll;
  const tick = async () => {
    current.timer = 0;
    if (seq !== current.seq) return;
    if (document.visibilityState === "visible") {
      try {
        await poll();
        if ($("alert").dataset.fromPoll) {
          $("alert").textContent = "";
          delete $("alert").dataset.fromPoll;
        }
      } catch (e) {
        if (e instanceof ApiError && e.code === "UNAUTHENTICATED") return report(e);
        if (!$("alert").textContent) {
          alarm(`Could not refresh: ${e.message}`);
          $("alert").dataset.fromPoll = "1";
        }
      }
    }
    if (seq === current.seq && document.visibilityState === "visible")
      current.timer = setTimeout(tick, POLL_MS);
  };
  current.tick = tick;
  current.timer = setTimeout(tick, POLL_MS);
}

function stopPolling() {
  clearTimeout(current.timer);
  current.timer = 0;
  current.poll = null;
  current.tick = null;
}

document.addEventListener("visibilitychange", () => {
  // Hidden: the pending tick sees it and stops. Shown again: refresh now, then go on.
  if (document.visibilityState === "visible" && current.poll && !current.timer && current.tick)
    current.tick();
});

// ---- sign in -------------------------------------------------------------------------------

function showSignIn(message) {
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  document.title = "Sign in · hookd";
  const input = h("input", {
    id: "api-key",
    type: "password",
    name: "api-key",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "api-key-hint",
  });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { "aria-labelledby": "sign-in-title" },
    h(
      "div",
      { class: "field" },
      h("label", { for: "api-key" }, "API key"),
      input,
      h(
        "span",
        { class: "hint", id: "api-key-hint" },
        "A key made by hookd bootstrap or hookd key-create. It stays in this browser tab only ",
        "(sessionStorage) and is sent to this hookd alone.",
      ),
    ),
    submit,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_ITEM, key);
    submit.disabled = true;
    try {
      await gql(Q.versions); // needs a valid key and no permission: any key of the workspace works
      clearMessages();
      say("Signed in.");
      route();
    } catch (e) {
      sessionStorage.removeItem(KEY_ITEM);
      input.setAttribute("aria-invalid", "true");
      alarm(
        e.code === "UNAUTHENTICATED"
          ? "hookd refused this API key: it is unknown or has been revoked."
          : e.message,
      );
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  $("main").replaceChildren(
    h("h1", { id: "sign-in-title", tabindex: "-1" }, "Sign in to hookd"),
    h(
      "p",
      { class: "lead" },
      "Webhook targets, deliveries, events and customers of your workspace.",
    ),
    form,
  );
  if (message) alarm(message);
  input.focus();
}

function signOut(message) {
  stopPolling();
  sessionStorage.removeItem(KEY_ITEM);
  clearMessages();
  if (location.hash && location.hash !== "#/targets") history.replaceState(null, "", "#/targets");
  showSignIn(message);
  if (!message) say("Signed out.");
}

// ---- targets -------------------------------------------------------------------------------

function targetName(t) {
  return t.description || t.url;
}

function targetState(t) {
  const d = t.hookdDelivery;
  if (!t.isEnabled && d.autoDisabledAt)
    return [
      badge("bad", "Disabled by hookd"),
      " ",
      h(
        "span",
        { class: "muted" },
        "on ",
        when(d.autoDisabledAt.iso8601),
        " after failing for too long; enable it, then recover its failed deliveries.",
      ),
    ];
  if (!t.isEnabled) return badge("off", "Disabled");
  if (d.failingSince)
    return [
      badge("bad", "Failing"),
      " ",
      h("span", { class: "muted" }, "since ", when(d.failingSince.iso8601)),
    ];
  return badge("ok", "Enabled");
}

async function viewTargets() {
  const list = h("ul", { class: "cards", "aria-label": "Webhook targets" });
  const empty = h("p", { class: "muted", hidden: true }, "No webhook targets yet.");
  const draw = (targets) => {
    empty.hidden = targets.length > 0;
    reconcile(
      list,
      targets.map((t) => ({
        key: t.id,
        sig: JSON.stringify(t),
        make: () => targetCard(t, refresh),
      })),
    );
  };
  const refresh = async () => draw(edges((await gql(Q.targets)).webhookTargets));
  await refresh();
  return {
    title: "Webhook targets",
    poll: refresh,
    node: h(
      "section",
      {},
      h("h1", {}, "Webhook targets"),
      h(
        "div",
        { class: "toolbar" },
        h("a", { class: "button", href: "#/targets/new" }, "New target"),
      ),
      empty,
      list,
    ),
  };
}

function targetCard(t, refresh) {
  const headingId = newId("target");
  const toggle = h(
    "button",
    { type: "button", class: "quiet", "data-key": `toggle:${t.id}` },
    t.isEnabled ? "Disable" : "Enable",
  );
  toggle.addEventListener("click", () =>
    busy(toggle, async () => {
      await mutate(
        Q.updateTarget,
        { input: { webhookTargetId: t.id, isEnabled: { value: !t.isEnabled } } },
        "updateWebhookTarget",
      );
      say(`${targetName(t)} ${t.isEnabled ? "disabled" : "enabled"}.`);
      await refresh();
    }),
  );
  const test = h(
    "button",
    { type: "button", class: "quiet", "data-key": `test:${t.id}` },
    "Send test event",
  );
  test.addEventListener("click", () =>
    busy(test, async () => {
      const out = await mutate(
        Q.sendTest,
        { input: { webhookTargetId: t.id } },
        "hookdSendTestWebhookEvent",
      );
      say(`Test event ${out.eventId} sent to ${targetName(t)}.`);
    }),
  );
  const del = dangerButton(
    "Delete",
    "Confirm delete",
    async () => {
      await mutate(Q.deleteTarget, { input: { webhookTargetId: t.id } }, "deleteWebhookTarget");
      say(`${targetName(t)} deleted.`);
      await refresh();
      focusHeading($("main"));
    },
    `delete:${t.id}`,
  );
  return h(
    "li",
    { class: "card", "aria-labelledby": headingId },
    h(
      "div",
      { class: "card-head" },
      h(
        "h2",
        { id: headingId },
        h("a", { href: `#/targets/${encodeURIComponent(t.id)}` }, targetName(t)),
      ),
      targetState(t),
    ),
    facts([
      ["URL", h("code", {}, t.url)],
      ["Events", t.eventSubscriptions.map((s) => s.eventType).join(", ") || "none"],
      ["Version", t.version],
      t.hookdDelivery.orderedByCustomer && ["Order", "one at a time per customer"],
      t.hookdDelivery.maxRequestsPerSecond && [
        "Rate",
        `at most ${t.hookdDelivery.maxRequestsPerSecond}/s`,
      ],
    ]),
    h(
      "div",
      { class: "actions" },
      h(
        "a",
        {
          class: "button",
          href: `#/targets/${encodeURIComponent(t.id)}`,
          "data-key": `deliveries:${t.id}`,
        },
        "Deliveries",
      ),
      h("a", { class: "button quiet", href: `#/targets/${encodeURIComponent(t.id)}/edit` }, "Edit"),
      toggle,
      test,
      del,
    ),
  );
}

async function viewTargetForm(id) {
  const [versionsData, target] = await Promise.all([
    gql(Q.versions),
    id ? gql(Q.target, { id }).then((d) => d.webhookTarget) : null,
  ]);
  if (id && !target) throw new Error("No webhook target with this id.");
  const versions = edges(versionsData.webhookVersions);
  const title = target ? `Edit ${targetName(target)}` : "New webhook target";
  const field = (name, label, input, hint) => {
    const hintId = hint ? `${name}-hint` : null;
    const errId = `${name}-error`;
    input.id = name;
    input.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
    return h(
      "div",
      { class: "field" },
      h("label", { for: name }, label),
      input,
      hint && h("span", { class: "hint", id: hintId }, hint),
      h("span", { class: "error", id: errId }),
    );
  };
  const url = h("input", {
    type: "url",
    name: "url",
    required: true,
    value: target ? target.url : "",
    placeholder: "https://example.com/webhooks/plain",
    autocomplete: "off",
  });
  const description = h("input", {
    type: "text",
    name: "description",
    value: target ? target.description : "",
  });
  const version = h(
    "select",
    { name: "version" },
    versions.map((v) =>
      h(
        "option",
        { value: v.version, selected: target ? v.version === target.version : v.isLatest },
        `${v.version}${v.isLatest ? " (latest)" : ""}${v.isDeprecated ? " (deprecated)" : ""}`,
      ),
    ),
  );
  const subscribed = new Set(
    target ? target.eventSubscriptions.map((s) => s.eventType) : EVENT_TYPES.map((e) => e[0]),
  );
  const boxes = EVENT_TYPES.map(([type, label]) =>
    h("input", {
      type: "checkbox",
      name: "eventType",
      value: type,
      id: `event-${type}`,
      checked: subscribed.has(type),
    }),
  );
  const enabled = h("input", {
    type: "checkbox",
    id: "enabled",
    checked: target ? target.isEnabled : true,
  });
  const ordered = h("input", {
    type: "checkbox",
    id: "ordered",
    checked: target ? target.hookdDelivery.orderedByCustomer : false,
  });
  const rps = h("input", {
    type: "number",
    name: "rps",
    min: "1",
    max: "100000",
    inputmode: "numeric",
    value:
      target && target.hookdDelivery.maxRequestsPerSecond
        ? String(target.hookdDelivery.maxRequestsPerSecond)
        : "",
  });
  const submit = h("button", { type: "submit" }, target ? "Save" : "Create target");
  const form = h(
    "form",
    { "aria-labelledby": "form-title" },
    field(
      "url",
      "URL",
      url,
      target
        ? "Shown with its password masked; leave it as it is to keep the credentials."
        : "https:// and public; credentials in it (https://user:pass@…) are sent as Basic auth.",
    ),
    field("description", "Description", description),
    field("version", "Webhook version", version),
    h(
      "fieldset",
      {},
      h("legend", {}, "Events"),
      EVENT_TYPES.map(([type, label], i) =>
        h(
          "label",
          { class: "check", for: `event-${type}` },
          boxes[i],
          label,
          " ",
          h("code", { class: "muted" }, type),
        ),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Delivery"),
      h("label", { class: "check", for: "enabled" }, enabled, "Enabled"),
      h(
        "label",
        { class: "check", for: "ordered" },
        ordered,
        "One event at a time per customer, in order",
      ),
      field("rps", "Requests per second at most (empty: no cap)", rps),
    ),
    h(
      "div",
      { class: "toolbar" },
      submit,
      h("a", { class: "button quiet", href: "#/targets" }, "Cancel"),
    ),
  );

  // MutationError field names -> this form's inputs
  const inputOf = {
    maxRequestsPerSecond: "rps",
    orderedByCustomer: "ordered",
    isEnabled: "enabled",
  };
  const showFieldErrors = (fields) => {
    for (const el of form.querySelectorAll(".error")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    let first = null;
    for (const f of fields) {
      const top = f.field.split(".")[0];
      const name = inputOf[top] || top;
      const input = $(name);
      if (!input || !form.contains(input)) continue;
      input.setAttribute("aria-invalid", "true");
      if ($(`${name}-error`)) $(`${name}-error`).textContent = f.message;
      first = first || input;
    }
    if (first) first.focus();
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(submit, async () => {
      try {
        const eventSubscriptions = boxes
          .filter((b) => b.checked)
          .map((b) => ({ eventType: b.value }));
        let targetId = id;
        if (target) {
          const input = {
            webhookTargetId: id,
            description: { value: description.value },
            isEnabled: { value: enabled.checked },
            version: { value: version.value },
            eventSubscriptions,
          };
          // The URL is shown masked: sending it back unchanged would replace the password with "***".
          if (url.value !== target.url) input.url = { value: url.value };
          await mutate(Q.updateTarget, { input }, "updateWebhookTarget");
        } else {
          const out = await mutate(
            Q.createTarget,
            {
              input: {
                url: url.value,
                description: description.value,
                isEnabled: enabled.checked,
                version: version.value,
                eventSubscriptions,
              },
            },
            "createWebhookTarget",
          );
          targetId = out.webhookTarget.id;
        }
        const cap = rps.value === "" ? null : Number(rps.value);
        const before = target
          ? target.hookdDelivery
          : { orderedByCustomer: false, maxRequestsPerSecond: null };
        if (ordered.checked !== before.orderedByCustomer || cap !== before.maxRequestsPerSecond)
          await mutate(
            Q.targetDelivery,
            {
              input: {
                webhookTargetId: targetId,
                orderedByCustomer: ordered.checked,
                maxRequestsPerSecond: cap,
              },
            },
            "hookdUpdateWebhookTargetDelivery",
          );
        say(target ? "Target saved." : "Target created.");
        go("#/targets");
      } catch (e) {
        if (e instanceof ApiError) showFieldErrors(e.fields);
        throw e;
      }
    });
  });
  return { title, node: h("section", {}, h("h1", { id: "form-title" }, title), form) };
}

// ---- deliveries ----------------------------------------------------------------------------

function attemptsTable(d) {
  if (!d.attempts.length) return h("p", { class: "muted" }, "No attempt yet.");
  return table(
    null,
    ["#", "Started", "Status", "Duration", "Error", "Response"],
    d.attempts.map((a) => [
      String(a.number),
      when(a.startedAt.iso8601),
      a.statusCode === null ? "—" : String(a.statusCode),
      `${a.durationMs} ms`,
      a.error || "—",
      a.responseExcerpt ? h("pre", { class: "small" }, a.responseExcerpt) : "—",
    ]),
  );
}

function resendButton(d, label, onDone) {
  const b = h(
    "button",
    { type: "button", class: "quiet", "data-key": `resend:${d.webhookTargetId}:${d.eventId}` },
    label,
  );
  b.addEventListener("click", () =>
    busy(b, async () => {
      await mutate(
        Q.resend,
        { input: { webhookTargetId: d.webhookTargetId, eventId: d.eventId } },
        "hookdResendWebhookEvent",
      );
      say(`Event ${d.eventId} queued to be sent again.`);
      await onDone();
    }),
  );
  return b;
}

function nextAttempt(d) {
  if (d.status !== "PENDING") return null;
  if (d.waitingForEarlierDelivery)
    return ["Next attempt", "after this customer's earlier delivery"];
  return d.nextAttemptAt ? ["Next attempt", when(d.nextAttemptAt.iso8601)] : null;
}

function deliveryItem(d, refresh) {
  const eventHref = `#/events/${encodeURIComponent(d.eventId)}?target=${encodeURIComponent(d.webhookTargetId)}`;
  return h(
    "li",
    { class: "card delivery" },
    h(
      "div",
      { class: "card-head" },
      h("h2", {}, h("a", { href: eventHref, "data-key": `event:${d.eventId}` }, d.eventType)),
      statusBadge(d.status),
    ),
    facts([
      ["Event", h("code", {}, d.eventId)],
      ["Created", when(d.createdAt.iso8601)],
      ["Attempts", String(d.attemptCount)],
      nextAttempt(d),
    ]),
    h(
      "details",
      { "data-key": `attempts:${d.eventId}` },
      h("summary", {}, `Attempts (${d.attempts.length})`),
      attemptsTable(d),
    ),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button quiet", href: eventHref }, "Payload and headers"),
      resendButton(d, "Resend", refresh),
    ),
  );
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

async function viewDeliveries(params, id) {
  const status = STATUSES.includes(params.get("status")) ? params.get("status") : null;
  let shown = PAGE;
  const target = (await gql(Q.target, { id })).webhookTarget;
  if (!target) throw new Error("No webhook target with this id.");
  const list = h("ol", {
    class: "cards",
    "aria-label": "Deliveries, newest first",
    reversed: true,
  });
  const empty = h(
    "p",
    { class: "muted", hidden: true },
    status
      ? `No ${status.toLowerCase()} delivery.`
      : "No delivery yet: change a customer, or send a test event.",
  );
  const more = h(
    "button",
    { type: "button", class: "quiet", hidden: true },
    "Show older deliveries",
  );
  const state = h("div", {}, targetState(target));
  const refresh = async () => {
    const [d, t] = await Promise.all([
      gql(Q.deliveries, { id, status, last: shown }),
      gql(Q.target, { id }),
    ]);
    if (t.webhookTarget) state.replaceChildren(targetState(t.webhookTarget));
    const rows = edges(d.hookdWebhookDeliveries).reverse();
    empty.hidden = rows.length > 0;
    more.hidden = !d.hookdWebhookDeliveries.pageInfo.hasPreviousPage || shown >= MAX_PAGE;
    reconcile(
      list,
      rows.map((r) => ({
        key: r.eventId,
        sig: JSON.stringify(r),
        make: () => deliveryItem(r, refresh),
      })),
    );
  };
  more.addEventListener("click", () =>
    busy(more, async () => {
      shown = Math.min(MAX_PAGE, shown + PAGE);
      await refresh();
      say(`Showing up to ${shown} deliveries.`);
    }),
  );

  const filter = h(
    "select",
    { id: "status-filter" },
    h("option", { value: "", selected: !status }, "All"),
    STATUSES.map((s) =>
      h("option", { value: s, selected: s === status }, s.charAt(0) + s.slice(1).toLowerCase()),
    ),
  );
  filter.addEventListener("change", () => {
    const q = filter.value ? `?status=${filter.value}` : "";
    go(`#/targets/${encodeURIComponent(id)}${q}`);
  });
  const since = h("input", {
    type: "datetime-local",
    id: "recover-since",
    required: true,
    value: localInputValue(new Date(Date.now() - 24 * 3600 * 1000)),
  });
  const recoverButton = h("button", { type: "submit", class: "quiet" }, "Resend failed");
  const recover = h(
    "form",
    { "aria-label": "Resend failed deliveries" },
    h("div", { class: "field" }, h("label", { for: "recover-since" }, "Failed since"), since),
    recoverButton,
  );
  recover.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(recoverButton, async () => {
      const when_ = new Date(since.value);
      if (Number.isNaN(when_.getTime())) throw new ApiError("Pick a date and time.");
      const out = await mutate(
        Q.recover,
        { input: { webhookTargetId: id, since: when_.toISOString() } },
        "hookdResendFailedWebhookDeliveries",
      );
      say(
        `${out.count} failed ${out.count === 1 ? "delivery" : "deliveries"} queued to be sent again.`,
      );
      await refresh();
    });
  });
  const test = h("button", { type: "button", class: "quiet" }, "Send test event");
  test.addEventListener("click", () =>
    busy(test, async () => {
      const out = await mutate(
        Q.sendTest,
        { input: { webhookTargetId: id } },
        "hookdSendTestWebhookEvent",
      );
      say(`Test event ${out.eventId} sent.`);
      await refresh();
    }),
  );

  await refresh();
  const title = `Deliveries to ${targetName(target)}`;
  return {
    title,
    poll: refresh,
    node: h(
      "section",
      {},
      h("p", {}, h("a", { href: "#/targets" }, "← Targets")),
      h("h1", {}, title),
      h(
        "div",
        { class: "panel" },
        facts([
          ["URL", h("code", {}, target.url)],
          ["State", state],
        ]),
      ),
      h(
        "div",
        { class: "toolbar" },
        h("div", { class: "field" }, h("label", { for: "status-filter" }, "Status"), filter),
        recover,
        test,
      ),
      empty,
      list,
      more,
    ),
  };
}

// ---- one event -----------------------------------------------------------------------------

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function headersTable(a) {
  if (!a.requestHeaders)
    return h(
      "p",
      { class: "muted" },
      "Not known: no request was made, or an older hookd recorded this attempt.",
    );
  // Not a stacked table on a phone: a name above its value reads better (app.css, .headers).
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "headers" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Header"), h("th", { scope: "col" }, "Value")),
      ),
      h(
        "tbody",
        {},
        a.requestHeaders.map((x) =>
          h(
            "tr",
            {},
            h("td", {}, x.name),
            h("td", {}, x.value, x.masked && [" ", h("span", { class: "muted" }, "(masked)")]),
          ),
        ),
      ),
    ),
  );
}

function eventDelivery(d, names, highlighted, refresh) {
  const name = names.get(d.webhookTargetId) || d.webhookTargetId;
  return h(
    "li",
    { class: "card", "aria-current": highlighted ? "true" : null },
    h(
      "div",
      { class: "card-head" },
      h("h3", {}, h("a", { href: `#/targets/${encodeURIComponent(d.webhookTargetId)}` }, name)),
      statusBadge(d.status),
    ),
    facts([["Attempts", String(d.attemptCount)], nextAttempt(d)]),
    d.attempts.map((a) =>
      h(
        "details",
        {
          "data-key": `headers:${d.webhookTargetId}:${a.id}`,
          open: highlighted && a === d.attempts[d.attempts.length - 1],
        },
        h(
          "summary",
          {},
          `Attempt ${a.number}: `,
          a.statusCode === null ? a.error || "no response" : `HTTP ${a.statusCode}`,
          `, ${a.durationMs} ms`,
        ),
        facts([
          ["Started", when(a.startedAt.iso8601)],
          a.error && ["Error", a.error],
          a.responseExcerpt && ["Response", h("pre", { class: "small" }, a.responseExcerpt)],
        ]),
        h("h4", {}, "Request headers as sent"),
        headersTable(a),
      ),
    ),
    h("div", { class: "actions" }, resendButton(d, "Resend", refresh)),
  );
}

async function viewEvent(params, id) {
  const [data, namesData] = await Promise.all([gql(Q.event, { id }), gql(Q.targetNames)]);
  const ev = data.hookdEvent;
  if (!ev) throw new Error("No event with this id.");
  const names = new Map(edges(namesData.webhookTargets).map((t) => [t.id, targetName(t)]));
  const focusTarget = params.get("target");
  const list = h("ul", { class: "cards", "aria-label": "Deliveries of this event" });
  const draw = (e) =>
    reconcile(
      list,
      e.deliveries.map((d) => ({
        key: d.webhookTargetId,
        sig: JSON.stringify(d),
        make: () => eventDelivery(d, names, d.webhookTargetId === focusTarget, refresh),
      })),
    );
  const refresh = async () => {
    const e = (await gql(Q.event, { id })).hookdEvent;
    if (e) draw(e);
  };
  draw(ev);
  const back = focusTarget
    ? h(
        "a",
        { href: `#/targets/${encodeURIComponent(focusTarget)}` },
        `← Deliveries to ${names.get(focusTarget) || focusTarget}`,
      )
    : ev.customerId &&
      h("a", { href: `#/customers/${encodeURIComponent(ev.customerId)}` }, "← Customer");
  return {
    title: `Event ${ev.eventType}`,
    poll: refresh,
    node: h(
      "section",
      {},
      back && h("p", {}, back),
      h("h1", {}, ev.eventType),
      facts([
        ["Event", h("code", {}, ev.id)],
        ["Happened", when(ev.timestamp.iso8601)],
        ev.customerId && [
          "Customer",
          h("a", { href: `#/customers/${encodeURIComponent(ev.customerId)}` }, ev.customerId),
        ],
      ]),
      h("h2", {}, "Payload"),
      h(
        "pre",
        { tabindex: "0", "aria-label": "Payload, JSON" },
        h("code", {}, prettyJson(ev.payload)),
      ),
      h("h2", {}, "Deliveries"),
      ev.deliveries.length
        ? null
        : h("p", { class: "muted" }, "This event was for no current target."),
      list,
    ),
  };
}

// ---- customers -----------------------------------------------------------------------------

function customerRow(c) {
  return [
    h("a", { href: `#/customers/${encodeURIComponent(c.id)}` }, c.fullName),
    c.email.email,
    when(c.createdAt.iso8601),
  ];
}

async function viewCustomers(params) {
  const email = h("input", {
    type: "email",
    id: "customer-email",
    required: true,
    autocomplete: "off",
    value: params.get("email") || "",
  });
  const search = h("button", { type: "submit" }, "Find");
  const form = h(
    "form",
    { role: "search", "aria-label": "Find a customer by email" },
    h("div", { class: "field" }, h("label", { for: "customer-email" }, "Email"), email),
    search,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(search, async () => {
      const c = (await gql(Q.customerByEmail, { email: email.value.trim() })).customerByEmail;
      if (!c) {
        alarm(`No customer has the email ${email.value.trim()}.`);
        email.focus();
        return;
      }
      go(`#/customers/${encodeURIComponent(c.id)}`);
    });
  });
  const recent = h("div", {});
  let last = "";
  const refresh = async () => {
    const rows = edges((await gql(Q.recentCustomers, { last: PAGE })).customers).reverse();
    const sig = JSON.stringify(rows);
    if (sig === last) return;
    last = sig;
    recent.replaceChildren(
      rows.length
        ? table(null, ["Name", "Email", "Created"], rows.map(customerRow))
        : h("p", { class: "muted" }, "No customers yet."),
    );
  };
  await refresh();
  return {
    title: "Customers",
    poll: refresh,
    node: h(
      "section",
      {},
      h("h1", {}, "Customers"),
      h("div", { class: "toolbar" }, form),
      h("h2", {}, "Newest customers"),
      recent,
    ),
  };
}

async function viewCustomer(params, id) {
  const data = await gql(Q.customer, { id, last: PAGE });
  const c = data.customer;
  const events = h("div", {});
  let last = "";
  const drawEvents = (d) => {
    const rows = edges(d.hookdEvents).reverse();
    const sig = JSON.stringify(rows);
    if (sig === last) return;
    last = sig;
    events.replaceChildren(
      rows.length
        ? table(
            null,
            ["Event", "Happened", "Id"],
            rows.map((e) => [
              h("a", { href: `#/events/${encodeURIComponent(e.id)}` }, e.eventType),
              when(e.timestamp.iso8601),
              h("code", {}, e.id),
            ]),
          )
        : h("p", { class: "muted" }, "No events."),
    );
  };
  drawEvents(data);
  const refresh = async () => drawEvents(await gql(Q.customer, { id, last: PAGE }));
  const title = c ? c.fullName : "Deleted or unknown customer";
  const groups = c ? edges(c.customerGroupMemberships).map((m) => m.customerGroup) : [];
  return {
    title,
    poll: refresh,
    node: h(
      "section",
      {},
      h("p", {}, h("a", { href: "#/customers" }, "← Customers")),
      h("h1", {}, title),
      c
        ? facts([
            [
              "Email",
              [
                c.email.email,
                " ",
                c.email.isVerified ? badge("ok", "Verified") : badge("off", "Not verified"),
              ],
            ],
            c.shortName && ["Short name", c.shortName],
            c.externalId && ["External id", h("code", {}, c.externalId)],
            ["Id", h("code", {}, c.id)],
            c.markedAsSpamAt && ["Spam", ["Marked on ", when(c.markedAsSpamAt.iso8601)]],
            ["Created", when(c.createdAt.iso8601)],
            ["Updated", when(c.updatedAt.iso8601)],
          ])
        : h("p", { class: "muted" }, `No customer has the id ${id} now; its events are below.`),
      c && h("h2", {}, "Groups"),
      c &&
        (groups.length
          ? h(
              "ul",
              { class: "chips", "aria-label": "Groups" },
              groups.map((g) =>
                h("li", { class: "chip" }, g.name, " ", h("code", { class: "muted" }, g.key)),
              ),
            )
          : h("p", { class: "muted" }, "In no group.")),
      h("h2", {}, "Events"),
      h("p", { class: "muted" }, `The ${PAGE} most recent, newest first.`),
      events,
    ),
  };
}

// ---- workspace -----------------------------------------------------------------------------

// What a key without the permission cannot read is said in place, the rest is shown.
async function readable(query) {
  try {
    return await gql(query);
  } catch (e) {
    if (e.code === "FORBIDDEN") return { forbidden: e.message };
    throw e;
  }
}

async function viewWorkspace() {
  const [ws, hmac] = await Promise.all([readable(Q.workspace), readable(Q.hmac)]);
  const data = { myWorkspace: ws.myWorkspace, workspaceHmac: hmac.workspaceHmac };
  const secret = h("code", { id: "hmac-secret" });
  const shown = h("span", {});
  let value = data.workspaceHmac ? data.workspaceHmac.hmacSecret : null;
  let visible = false;
  const reveal = h(
    "button",
    { type: "button", class: "quiet", "aria-pressed": "false", "aria-controls": "hmac-secret" },
    "Show secret",
  );
  const draw = (updated) => {
    secret.textContent =
      hmac.forbidden && !value
        ? "not readable with this API key (it needs workspaceHmac:read)"
        : !value
          ? "none yet: deliveries are not signed"
          : visible
            ? value
            : "•".repeat(16);
    reveal.hidden = !value;
    reveal.setAttribute("aria-pressed", String(visible));
    reveal.textContent = visible ? "Hide secret" : "Show secret";
    if (updated !== undefined) shown.replaceChildren(updated ? when(updated) : "—");
  };
  reveal.addEventListener("click", () => {
    visible = !visible;
    draw();
  });
  const regenerate = dangerButton(
    "Regenerate secret",
    "Confirm: regenerate",
    async () => {
      const out = await mutate(Q.regenerate, {}, "regenerateWorkspaceHmac");
      value = out.workspaceHmac.hmacSecret;
      visible = true;
      draw(out.workspaceHmac.updatedAt.iso8601);
      say(
        "New HMAC secret made: deliveries are signed with it from now on. Update your receivers.",
      );
    },
    "regenerate",
  );
  draw(
    data.workspaceHmac && data.workspaceHmac.updatedAt
      ? data.workspaceHmac.updatedAt.iso8601
      : null,
  );
  return {
    title: "Workspace",
    node: h(
      "section",
      {},
      h("h1", {}, "Workspace"),
      data.myWorkspace
        ? facts([
            ["Name", data.myWorkspace.name],
            ["Id", h("code", {}, data.myWorkspace.id)],
          ])
        : h("p", { class: "muted" }, "This API key may not read the workspace (workspace:read)."),
      h("h2", {}, "HMAC secret"),
      h(
        "p",
        { class: "muted" },
        "Every delivery carries Plain-Request-Signature, the HMAC-SHA256 of its body with this secret. ",
        "Regenerating it takes effect at once: receivers verifying with the old one will refuse deliveries until updated.",
      ),
      facts([
        ["Secret", secret],
        ["Changed", shown],
      ]),
      h("div", { class: "toolbar" }, reveal, regenerate),
    ),
  };
}

// ---- start ---------------------------------------------------------------------------------

$("sign-out").addEventListener("click", () => signOut());
$("skip").addEventListener("click", (ev) => {
  ev.preventDefault(); // "#main" is no route
  focusHeading($("main"));
});
window.addEventListener("hashchange", () => {
  if (!keepMessage) $("status").textContent = "";
  keepMessage = false;
  route();
});

route();
