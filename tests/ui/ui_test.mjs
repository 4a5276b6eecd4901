// Browser test of Herald's web UI: headless Debian chromium (driven by playwright-core) against a
// real `herald serve` and a real HTTP receiver, all on loopback, in a temp directory.
//
// Checks: sign-in (bad token refused), webhook and event-rule forms (a rejected form shows its
// field error; HTML in user data is escaped), events posted through the REST API become
// finished tasks whose request is shown, preview / send test, rule check, a failing receiver
// gives a failed task with its error, the Requeue button redelivers it, delete with
// confirmation, a read-only session sees no edit buttons and its POSTs are refused and sees
// neither credential header values nor signatures (preview, task), markup in a query parameter
// is shown as text, a POST without (or with a wrong) CSRF token is refused, sign-out.
//
// Usage: node ui_test.mjs [path/to/herald] [--store URL] [--update-docs]
//   HERALD_BIN / CHROMIUM (default /usr/bin/chromium) override the binaries.
//   --store: serve from that store (an empty database, e.g. postgresql://...; ui_browser_pg.cc
//   starts a throwaway PostgreSQL server for it) instead of a fresh SQLite file in the temp dir.
//   Screenshots go to tests/ui/artifacts/ (artifacts/<scheme>/ with --store); --update-docs also
//   copies the task list and task detail screenshots to docs/screenshots/ for the README.
// Exits 0 on success, 1 on any failure, 77 (CTest: skipped) when chromium or playwright-core is
// not installed; every wait is bounded (and a global watchdog ends the
// run after WATCHDOG_MS).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const args = process.argv.slice(2);
const UPDATE_DOCS = args.includes('--update-docs');
const storeArg = args.indexOf('--store');
const STORE = storeArg >= 0 ? args[storeArg + 1] || '' : '';
const positional = args.filter((a, i) => !a.startsWith('--') && (storeArg < 0 || i !== storeArg + 1));
const HERALD = resolve(process.env.HERALD_BIN || positional[0] || join(ROOT, 'build', 'herald'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = STORE ? join(HERE, 'artifacts', STORE.split(':')[0]) : join(HERE, 'artifacts');
const WATCHDOG_MS = 240_000;   // whole run
const STEP_MS = 15_000;        // any single browser action or wait
const STATE_MS = 30_000;       // a task reaching a state

const children = [];
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error('[ui] SKIP: playwright-core is not installed: run `npm ci` in tests/ui');
  process.exit(77);
}
if (!existsSync(CHROMIUM)) {
  console.error('[ui] SKIP: no chromium at ' + CHROMIUM + ' (apt-get install chromium)');
  process.exit(77);
}
let browser = null;
let tmp = null;

function log(...a) { console.log('[ui]', ...a); }
function fail(msg) { throw new Error(msg); }
function check(cond, msg) { if (!cond) fail('check failed: ' + msg); }

async function cleanup() {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  for (const c of children) { try { c.kill('SIGTERM'); } catch { /* exited */ } }
  if (tmp) { try { rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ } }
}

const watchdog = setTimeout(async () => {
  console.error('[ui] FAIL: watchdog: the test did not finish within', WATCHDOG_MS, 'ms');
  await cleanup();
  process.exit(1);
}, WATCHDOG_MS);

// Stopped from outside (ui_browser_pg passes on SIGTERM): end herald, chromium and the temp dir too.
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, async () => {
    console.error('[ui] FAIL: stopped by', sig);
    await cleanup();
    process.exit(1);
  });
}

// ---- receiver: a tiny HTTP server whose answer the test flips ----
const received = [];
let receiverStatus = 200;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    received.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(receiverStatus, { 'Content-Type': 'text/plain' });
    res.end(receiverStatus === 200 ? 'ok' : 'receiver is failing on purpose');
  });
});

function listen(server) {
  return new Promise((ok, ko) => { server.once('error', ko); server.listen(0, '127.0.0.1', () => ok(server.address().port)); });
}

// ---- herald serve ----
function startHerald(storeUrl) {
  return new Promise((ok, ko) => {
    const p = spawn(HERALD, ['serve', '--listen', '127.0.0.1:0', '--store', storeUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    let out = '';
    let err = '';
    const timer = setTimeout(() => ko(new Error('herald serve did not start in 15 s:\n' + out + err)), 15_000);
    p.stdout.on('data', (d) => {
      out += d;
      const port = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      const token = out.match(/^\s+([0-9a-f]{40})\s*$/m);
      if (port && token) { clearTimeout(timer); ok({ port: Number(port[1]), token: token[1], proc: p }); }
    });
    p.stderr.on('data', (d) => { err += d; if (err.length > 100_000) err = err.slice(-50_000); });
    p.on('exit', (code) => { clearTimeout(timer); ko(new Error(`herald serve exited (${code}):\n${out}${err}`)); });
  });
}

async function api(base, token, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: 'Token ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function shot(page, name) {
  const file = join(ARTIFACTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_MS });
  return file;
}

// Reloads `url` until `predicate(page)` is true (bounded).
async function pollPage(page, url, predicate, what) {
  const deadline = Date.now() + STATE_MS;
  for (;;) {
    await page.goto(url);
    if (await predicate(page)) return;
    if (Date.now() > deadline) fail('timed out waiting for ' + what);
    await page.waitForTimeout(300);
  }
}

async function main() {
  check(existsSync(HERALD), 'herald binary not found at ' + HERALD + ' (build it, or pass its path)');
  check(existsSync(CHROMIUM), 'chromium not found at ' + CHROMIUM + ' (apt-get install chromium)');
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'herald-ui-'));
  check(storeArg < 0 || STORE, '--store needs a URL');
  const storeUrl = STORE || 'sqlite://' + join(tmp, 'h.db');
  const rport = await listen(receiver);
  const herald = await startHerald(storeUrl);
  const base = `http://127.0.0.1:${herald.port}`;
  log('herald on', base, 'store', storeUrl.split(':')[0], 'receiver on', rport);
  const roToken = execFileSync(HERALD, ['token', 'create', '--read-only', '--name', 'ui-readonly', '--store', storeUrl],
    { timeout: STEP_MS, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  check(/^[0-9a-f]{40}$/.test(roToken), 'read-only token created');

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: STEP_MS,
    args: ['--no-sandbox', '--disable-gpu', '--headless', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright gives every launch a fresh temporary --user-data-dir of its own.
  });
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());  // delete confirmations (checked below)

  // ---- sign in ----
  await page.goto(base + '/');
  check(page.url().startsWith(base + '/login'), 'unauthenticated / redirects to /login, got ' + page.url());
  await page.fill('#token', 'not-a-token');
  await page.click('button[type=submit]');
  await page.waitForSelector('#login-error');
  await shot(page, '01-login-error');
  await page.fill('#token', herald.token);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text("Dashboard")');
  const cookies = await ctx.cookies();
  const sc = cookies.find((c) => c.name === 'herald_session');
  check(sc && sc.httpOnly && sc.sameSite === 'Strict', 'session cookie is HttpOnly and SameSite=Strict');
  log('signed in');

  // ---- webhook form: a rejected form, then a valid one ----
  await page.click('a:text("Webhooks")');
  await page.click('#add-webhook');
  const xss = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  await page.fill('input[name=name]', 'receiver');
  await page.fill('input[name=description]', xss);
  await page.fill('input[name=payload_url]', 'ftp://127.0.0.1/nope');
  await page.fill('input[name=max_attempts]', '1');
  await page.click('#save');
  await page.waitForSelector('#form-errors');
  const urlErr = await page.textContent('.field-error');
  check(/Enter a valid URL/.test(urlErr), 'payload_url error shown next to the field: ' + urlErr);
  check((await page.inputValue('input[name=description]')) === xss, 'typed values are kept after an error');
  await shot(page, '02-webhook-form-error');
  await page.fill('input[name=payload_url]', `http://127.0.0.1:${rport}/hook/{{ data.id }}`);
  await page.fill('input[name=secret]', 's3cret');
  await page.fill('textarea[name=additional_headers]', 'X-Source: herald-ui-test\nX-Api-Key: ui-key-4711');
  await page.click('#save');
  await page.waitForSelector('#webhook-name');
  check((await page.textContent('#webhook-name')) === 'receiver', 'webhook created');
  check(await page.isVisible('text=' + xss), 'HTML in user data is shown as text');
  check((await page.evaluate(() => window.__xss)) === undefined, 'no script from user data ran');
  const webhookId = Number(page.url().match(/\/webhooks\/(\d+)/)[1]);
  await shot(page, '03-webhook-detail');
  log('webhook', webhookId, 'created');

  // ---- event rule form: invalid conditions (NetBox error), then valid ----
  await page.click('a:text("Event rules")');
  await page.click('#add-rule');
  await page.fill('input[name=name]', 'active devices');
  await page.selectOption('#object-types', ['dcim.device']);
  await page.check('input[name=event_types][value=object_created]');
  await page.selectOption('#webhook-select', String(webhookId));
  await page.fill('#conditions', '{"attr": "status.value", "op": "bogus", "value": "active"}');
  await page.fill('textarea[name=action_data]', '{"source": "ui-test"}');
  await page.click('#save');
  await page.waitForSelector('#form-errors');
  const condErr = await page.textContent('.field-error');
  check(/bogus/i.test(condErr), 'conditions error shown: ' + condErr);
  await shot(page, '04-rule-form-error');
  await page.fill('#conditions', '{"and": [{"attr": "status.value", "value": "active"}, {"attr": "name", "op": "contains", "value": "sw"}]}');
  // Bad JSON in action_data is a field error too (no crash).
  await page.fill('textarea[name=action_data]', '{not json');
  await page.click('#save');
  await page.waitForSelector('#form-errors');
  check(/valid JSON/.test(await page.textContent('.field-error')), 'bad action_data JSON is a field error');
  await page.fill('textarea[name=action_data]', '{"source": "ui-test"}');
  await page.click('#save');
  await page.waitForSelector('#rule-name');
  const ruleId = Number(page.url().match(/\/rules\/(\d+)/)[1]);
  await shot(page, '05-rule-detail');
  log('rule', ruleId, 'created');

  // ---- events through the API -> finished task ----
  const ev = (id, name) => ({ event: 'created', object_type: 'dcim.device', username: 'alice', request_id: 'req-' + id,
    data: { id, name, status: { value: 'active', label: 'Active' } }, snapshots: { prechange: null, postchange: { name } } });
  let r = await api(base, herald.token, 'POST', '/api/events/', ev(101, 'sw-core-1'));
  check(r.status === 202, 'event accepted: ' + r.status);
  await pollPage(page, base + '/tasks/?status=finished', async (p) => (await p.locator('table.tasks tbody tr td a[href^="/tasks/"]').count()) >= 1, 'a finished task');
  await shot(page, 'tasks');
  await page.click('table.tasks tbody tr td a[href^="/tasks/"]');
  await page.waitForSelector('#attempts');
  check((await page.textContent('#task-status')).includes('finished'), 'task finished');
  const reqText = await page.textContent('#request');
  check(reqText.includes(`/hook/101`) && reqText.includes('X-Hook-Signature') && reqText.includes('X-Source'), 'the rendered request is shown');
  // delivery.record_bodies = failed (the default): a finished task's body was not kept, and says so.
  check(reqText.includes('not recorded (delivery.record_bodies = failed)'), 'the unrecorded body is marked: ' + reqText);
  check((await page.textContent('main')).includes('ui-test'), 'action_data merged into the context');
  check(reqText.includes('ui-key-4711') && /[0-9a-f]{128}/.test(reqText), 'admins see credentials and the signature');
  await shot(page, 'task');
  check(received.length >= 1 && received[0].url === '/hook/101', 'receiver got the delivery');
  log('finished task seen');

  // ---- events page ----
  await page.click('a:text("Events")');
  await page.click('a:text("#1")');
  check(await page.isVisible('table.tasks a:text("receiver")'), 'event page lists the task of the matched rule');
  await shot(page, '06-event');

  // ---- preview and send test ----
  await page.goto(`${base}/webhooks/${webhookId}/preview`);
  await page.selectOption('select[name=object_type]', 'dcim.device');
  await page.click('#preview');
  await page.waitForSelector('#rendered');
  check((await page.textContent('#rendered')).includes(`/hook/101`), 'preview renders the URL for the latest event');
  check((await page.textContent('#rendered')).includes('X-Hook-Signature'), 'preview shows the signature header');
  const before = received.length;
  await page.click('#send-test');
  await page.waitForSelector('#test-response');
  check((await page.textContent('#response-status')) === '200', 'send test shows the response status');
  check(received.length === before + 1, 'send test reached the receiver');
  await shot(page, '07-webhook-preview');
  await page.fill('textarea[name=sample_json]', '{"event": ');
  await page.click('#preview');
  await page.waitForSelector('#sample-error');
  check(/Invalid JSON/.test(await page.textContent('#sample-error')), 'bad sample JSON is a field error');

  // ---- rule check ----
  await page.goto(`${base}/rules/${ruleId}/check`);
  await page.selectOption('select[name=object_type]', 'dcim.device');
  await page.click('#check');
  await page.waitForSelector('#check-result');
  check((await page.textContent('#check-result h2')).includes('matches'), 'rule check: matches');
  check((await page.locator('tr.cond-held').count()) === 2, 'both conditions held');
  await page.fill('textarea[name=sample_json]', JSON.stringify(ev(7, 'router-1')));
  await page.click('#check');
  await page.waitForSelector('#check-result');
  check((await page.textContent('#check-result h2')).includes('does not match'), 'rule check: does not match');
  check((await page.locator('tr.cond-failed').count()) === 1, 'one condition did not hold');
  await shot(page, '08-rule-check');

  // ---- failing receiver -> failed task with its error -> requeue -> finished ----
  receiverStatus = 500;
  r = await api(base, herald.token, 'POST', '/api/events/', ev(102, 'sw-edge-2'));
  check(r.status === 202, 'second event accepted');
  await pollPage(page, base + '/tasks/?status=failed', async (p) => (await p.locator('table.tasks tbody tr td a[href^="/tasks/"]').count()) >= 1, 'a failed task');
  await shot(page, '09-failed-tasks');
  await page.click('table.tasks tbody tr td a[href^="/tasks/"]');
  await page.waitForSelector('#task-error');
  const taskUrl = page.url();
  const err = await page.textContent('#task-error');
  check(err.includes('500') && err.includes('FAILED'), 'failed task shows its error: ' + err);
  check((await page.textContent('#attempts')).includes('receiver is failing on purpose'), 'attempt shows the response excerpt');
  await shot(page, '10-failed-task');
  receiverStatus = 200;
  await page.click('#requeue');
  await page.waitForSelector('.flash-ok');
  await pollPage(page, taskUrl, async (p) => (await p.textContent('#task-status')).includes('finished'), 'the requeued task to finish');
  check((await page.locator('#attempts tbody tr').count()) === 2, 'two attempts recorded');
  await shot(page, '11-requeued-task');
  log('failed -> requeued -> finished');

  // ---- dashboard and queues ----
  await page.goto(base + '/');
  check(await page.isVisible('svg.chart rect.ok'), 'dashboard chart shows deliveries');
  await shot(page, '12-dashboard');
  await page.goto(base + '/queues/');
  check((await page.textContent('#count-finished')).trim() === '2', 'queues: 2 finished');
  await shot(page, '13-queues');

  // ---- CSRF: a POST without / with a wrong token is refused ----
  // (context.request shares the browser's cookie jar, so these carry the session cookie.)
  const noCsrf = (await ctx.request.post(base + '/tasks/requeue-failed', { form: {}, maxRedirects: 0 })).status();
  check(noCsrf === 403, 'POST without CSRF token refused: ' + noCsrf);
  const badCsrf = (await ctx.request.post(base + '/webhooks/new', { form: { csrf: '0000', name: 'x', payload_url: 'http://127.0.0.1/' }, maxRedirects: 0 })).status();
  check(badCsrf === 403, 'POST with a wrong CSRF token refused: ' + badCsrf);

  // ---- delete (with confirmation) ----
  r = await api(base, herald.token, 'POST', '/api/extras/webhooks/', { name: 'to-delete', payload_url: 'http://127.0.0.1:9/' });
  check(r.status === 201, 'second webhook created through the API');
  // Standard Webhooks: choose the scheme and let Herald generate the secret, shown once.
  await page.goto(`${base}/webhooks/${r.json.id}/edit`);
  await page.selectOption('select[name=signature_scheme]', 'both');
  await page.check('#generate-secret');
  await page.click('#save');
  await page.waitForSelector('.flash-ok');
  const flashText = await page.textContent('.flash-ok');
  check(/shown only now: whsec_[A-Za-z0-9+\/]{43}=/.test(flashText), 'generated secret shown once: ' + flashText);
  check(/NetBox and Standard Webhooks/.test(await page.textContent('#signature-scheme')), 'scheme shown on the webhook page');
  const sigHook = await api(base, herald.token, 'GET', `/api/extras/webhooks/${r.json.id}/`);
  check(sigHook.json.signature_scheme === 'both' && sigHook.json.secret_set === true && sigHook.json.secret === null,
        'the API reads the scheme, and the secret as set but not shown');
  await page.goto(`${base}/webhooks/${r.json.id}`);
  await page.click('#delete');  // a webhook's Delete opens the confirm page
  await page.waitForSelector('#confirm-delete');
  check((await page.locator('#cascaded-rules').count()) === 0, 'confirm page: no rule uses it');
  await page.click('#confirm-delete');
  await page.waitForSelector('.flash-ok');
  check(!(await page.isVisible('a:text("to-delete")')), 'webhook deleted after confirmation');

  // ---- read-only session ----
  const ro = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  const rp = await ro.newPage();
  rp.setDefaultTimeout(STEP_MS);
  await rp.goto(base + '/login');
  await rp.fill('#token', roToken);
  await rp.click('button[type=submit]');
  await rp.waitForSelector('h1:text("Dashboard")');
  await rp.goto(base + '/webhooks/');
  check((await rp.locator('#add-webhook').count()) === 0, 'read-only: no Add webhook button');
  await rp.goto(taskUrl);
  check((await rp.locator('#requeue, #delete').count()) === 0, 'read-only: no task buttons');
  const csrf = await rp.inputValue('input[name=csrf]');
  const roPost = [];
  for (const [path, form] of [['/webhooks/new', { csrf, name: 'ro', payload_url: 'http://127.0.0.1/' }],
    [new URL(taskUrl).pathname + '/delete', { csrf }], ['/tasks/requeue-failed', { csrf }],
    [`/webhooks/${webhookId}/delete`, { csrf }]]) {
    roPost.push((await ro.request.post(base + path, { form, maxRedirects: 0 })).status());
  }
  check(roPost.every((s) => s === 403), 'read-only: changing POSTs are refused: ' + roPost);
  await rp.goto(`${base}/webhooks/${webhookId}/preview`);
  check((await rp.locator('#send-test').count()) === 0, 'read-only: no send test');
  await rp.selectOption('select[name=object_type]', 'dcim.device');
  await rp.click('#preview');
  await rp.waitForSelector('#rendered');
  const roPreview = await rp.textContent('#rendered');
  check(await rp.isVisible('#signature-hidden'), 'read-only preview: the signature is hidden');
  check(roPreview.includes('X-Api-Key') && roPreview.includes('********'), 'read-only preview: credential names, no values');
  check(!roPreview.includes('ui-key-4711') && !/[0-9a-f]{128}/.test(roPreview), 'read-only preview: no credential, no signature');
  await rp.goto(taskUrl);
  const roReq = await rp.textContent('#request');
  check(roReq.includes('X-Api-Key') && !roReq.includes('ui-key-4711') && !/[0-9a-f]{128}/.test(roReq), 'read-only task: no credential, no signature');
  await rp.goto(base + '/tasks/?status=' + encodeURIComponent('<img src=x onerror="window.__xss=3">'));
  const h1 = await rp.textContent('h1');
  check(h1.includes('<img src=x onerror="window.__xss=3">'), 'markup in a query parameter is shown as text: ' + h1);
  check((await rp.evaluate(() => window.__xss)) === undefined, 'no script from a query parameter ran');
  await rp.goto(`${base}/webhooks/${webhookId}/edit`);
  check((await rp.textContent('h1')).includes('403'), 'read-only: edit page refused');
  await shot(rp, '14-read-only');
  const still = await api(base, herald.token, 'GET', '/api/extras/webhooks/');
  check(still.json.count === 1, 'read-only session changed nothing');
  await ro.close();

  // ---- sign out ----
  await page.click('#sign-out');
  await page.waitForSelector('#token');
  await page.goto(base + '/tasks/');
  check(page.url().startsWith(base + '/login'), 'signed out: pages redirect to /login');

  check(pageErrors.length === 0, 'no JavaScript errors: ' + pageErrors.join('; '));
  if (UPDATE_DOCS) {
    mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
    copyFileSync(join(ARTIFACTS, 'tasks.png'), join(ROOT, 'docs', 'screenshots', 'tasks.png'));
    copyFileSync(join(ARTIFACTS, 'task.png'), join(ROOT, 'docs', 'screenshots', 'task.png'));
    log('updated docs/screenshots/');
  }
}

let code = 0;
try {
  await main();
  log('PASS: screenshots in', ARTIFACTS);
} catch (e) {
  console.error('[ui] FAIL:', e && e.stack ? e.stack : e);
  code = 1;
}
clearTimeout(watchdog);
receiver.close();
await cleanup();
process.exit(code);
