// The playground at / of `kompress serve`, in headless Chromium (Debian's) driven by
// playwright-core: a stack trace is pasted and compressed; the page must show the rewriter's
// output, o200k counts and % saved, tokens force-kept by the safety floor with their category
// on hover, evicted spans with their marker, and every stage's time; the screenshot must be a
// real, non-blank PNG.
// Needs KOMPRESS_URL (scripts/serve/playground_e2e.sh starts the service) and Chromium
// (CHROMIUM, default /usr/bin/chromium). Without them it says so and skips, unless
// REQUIRE_BROWSER=1 (the script sets it), where a missing piece fails the run.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { pngStats } from './png.mjs';

const url = process.env.KOMPRESS_URL;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
if (!url || !existsSync(exe)) {
  const why = !url ? 'KOMPRESS_URL not set' : `${exe} not installed (apt-get install chromium)`;
  if (process.env.REQUIRE_BROWSER === '1') {
    console.error(`FAILED playground e2e: ${why}`);
    process.exit(1);
  }
  console.error(`SKIPPED playground e2e: ${why}; nothing was checked`);
  process.exit(0);
}
const shot = process.env.SCREENSHOT || 'playground.png';
const trace = readFileSync(new URL('./stack_trace.txt', import.meta.url), 'utf8');
const t0 = Date.now();

// flags from the machine notes: no background traffic to hosts this sandbox cannot reach
const browser = await chromium.launch({
  executablePath: exe,
  timeout: 60_000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  await page.goto(url + '/');
  assert.equal(await page.textContent('h1'), 'kompress playground');

  await page.fill('#input', trace);
  await page.selectOption('#mode', 'safe');
  // a tight target: the model alone would drop part of the error lines, the floor must not
  await page.fill('#ratio', '0.2');
  await page.click('#go');
  await page.waitForSelector('body[data-done]');
  assert.equal(await page.textContent('#error'), '', 'no error shown');

  // every input byte is shown once, in a class
  assert.equal(await page.textContent('#coloured'), trace, 'the coloured spans rebuild the input');
  const count = (sel) => page.locator(sel).count();
  const [kept, floor, evicted] = [await count('#coloured .kept'), await count('#coloured .floor'), await count('#coloured .evicted')];
  assert.ok(kept > 0 && floor > 0 && evicted > 0, `kept=${kept} floor=${floor} evicted=${evicted}`);
  const floorTitles = await page.locator('#coloured .floor').evaluateAll((els) => els.map((e) => e.title));
  assert.ok(floorTitles.every((t) => /^safety floor: \w+/.test(t)), `floor titles: ${floorTitles}`);
  const evictedTitle = await page.locator('#coloured .evicted').first().getAttribute('title');
  assert.match(evictedTitle, /^replaced by: .*ref=[0-9a-f]{8}/);

  // the rewriter's output
  const output = await page.textContent('#output');
  assert.ok(output.includes('java.lang.IllegalStateException: ledger 9fbd47ba is closed'), output);
  assert.ok(output.includes('Caused by: java.io.IOException'), output);
  assert.ok(output.length < trace.length / 2, `output ${output.length} bytes of ${trace.length}`);

  // o200k counts and savings
  const num = async (sel) => Number((await page.textContent(`${sel} b`)).replace('%', ''));
  const tin = await num('#stat-tokens-in'), tout = await num('#stat-tokens-out');
  assert.ok(Number.isInteger(tin) && Number.isInteger(tout) && tin > 500 && tout > 0 && tout < tin, `o200k ${tin} -> ${tout}`);
  const saved = await page.textContent('#stat-saved b');
  assert.match(saved, /^\d+\.\d%$/);
  assert.equal(saved, (100 * (1 - tout / tin)).toFixed(1) + '%');
  assert.ok(Number(saved.slice(0, -1)) > 50, `saved ${saved}`);

  // stage timings
  for (const stage of ['tokenize', 'prune', 'gate', 'floor', 'rewrite', 'total']) {
    const ms = await page.textContent(`#time-${stage} td:nth-child(2)`);
    assert.match(ms, /^\d+\.\d{3}$/, `${stage}: ${ms}`);
  }
  assert.ok(Number(await page.textContent('#time-total td:nth-child(2)')) > 0);
  assert.deepEqual(external, [], 'the page fetched nothing outside the service');

  // the screenshot: a real PNG with the page drawn on it, not a blank frame
  const png = await page.screenshot({ path: shot, fullPage: true });
  const st = pngStats(png);
  assert.ok(st.width === 1280 && st.height >= 900 && st.height < 20_000, `size ${st.width}x${st.height}`);
  assert.ok(st.variance > 100, `luminance variance ${st.variance.toFixed(1)} (blank page?)`);
  assert.ok(st.colours >= 8, `only ${st.colours} colours`);
  console.log(`playground e2e ok in ${((Date.now() - t0) / 1000).toFixed(1)} s: spans kept=${kept} floor=${floor} evicted=${evicted}; ` +
    `o200k ${tin} -> ${tout} (${saved} saved); screenshot ${shot} ${st.width}x${st.height}, ` +
    `variance ${st.variance.toFixed(0)}, ${st.colours} colours`);
} finally {
  await browser.close();
}
