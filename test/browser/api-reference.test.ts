import { expect } from 'chai';
import { access, constants, readFile } from 'node:fs/promises';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { documentUrl } from '../../src/http/openapi-document.ts';
import { referencePath } from '../../src/http/reference/api-reference.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** Debian's `chromium` package puts it here; CHROMIUM_PATH names another. */
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Finds Chromium or fails saying how to install it: a browser test that cannot run is a failure, not a skip. */
async function chromium(): Promise<string> {
  try {
    await access(chromiumPath, constants.X_OK);
    return chromiumPath;
  } catch {
    throw new Error(
      `No Chromium at ${chromiumPath}: the API reference page's browser test needs it. ` +
        "Install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium executable.",
    );
  }
}

type SpecOperation = { operationId: string; summary?: string; tags?: string[] };

/** The document's operations, as Redoc's menu lists them: once under each of their tags. */
async function documentOperations(): Promise<SpecOperation[]> {
  const document = JSON.parse(await readFile(documentUrl, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
  return Object.values(document.paths).flatMap((item) =>
    Object.entries(item)
      .filter(([method]) => methods.has(method))
      .map(([, operation]) => operation as SpecOperation),
  );
}

type PageRecord = {
  /** Requests to anything but the server's origin, `data:` and `blob:` (all aborted). */
  elsewhere: string[];
  /** Requests to the server's origin, with the status they got (or why they failed). */
  local: { url: string; status: number | string }[];
  consoleErrors: string[];
  pageErrors: string[];
};

/** Opens a page that records every request (letting only this origin's, `data:` and `blob:` through), console error and page error. */
async function recordingPage(browser: Browser, origin: string): Promise<{ page: Page; record: PageRecord }> {
  const record: PageRecord = { elsewhere: [], local: [], consoleErrors: [], pageErrors: [] };
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) {
      void request.continue();
      return;
    }
    record.elsewhere.push(url);
    void request.abort();
  });
  page.on('response', (response) => {
    if (new URL(response.url()).origin === origin) record.local.push({ url: response.url(), status: response.status() });
  });
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(origin)) record.local.push({ url: request.url(), status: request.failure()?.errorText ?? 'failed' });
  });
  page.on('console', (message) => {
    // A Content-Security-Policy violation is reported as a console error too.
    if (message.type() === 'error') record.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => record.pageErrors.push(String(error)));
  return { page, record };
}

/**
 * Evaluates a JavaScript expression in the page. The expressions are text because this project's
 * TypeScript has no DOM library (the server is Node only); what they return is plain data.
 */
async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/** The attribute values of the elements a selector finds, as an expression for `inPage`. */
const attributesOf = (selector: string, ...names: string[]): string =>
  `[...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => ({ ${names
    .map((name) => `${JSON.stringify(name)}: element.getAttribute(${JSON.stringify(name)}) ?? ''`)
    .join(', ')} }))`;

describe('The API reference page in Chromium', function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  let origin: string;

  before(async () => {
    const executablePath = await chromium();
    server = await startTestServer();
    origin = new URL(server.url).origin;
    // --no-sandbox: Chromium's sandbox cannot run as root, as CI does; the page is this server's own.
    browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders every operation of the document, loading nothing from elsewhere, without errors and without "try it"', async () => {
    const operations = await documentOperations();
    const expectedMenuEntries = operations.flatMap((operation) =>
      // Redoc's ids write a tag's spaces as dashes.
      (operation.tags ?? ['']).map((tag) => `${tag.replaceAll(' ', '-')}/operation/${operation.operationId}`),
    );
    const { page, record } = await recordingPage(browser, origin);
    await page.evaluateOnNewDocument(
      "document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`))",
    );
    await page.goto(`${server.url}${referencePath}`, { waitUntil: 'load' });
    const menuSelector = '.menu-content ul[role="menu"]:not([data-role]) li[data-item-id*="/operation/"]';
    // Redoc shows "Something went wrong" when it fails to render; the checks below then say why.
    await page
      .waitForFunction(
        `document.querySelectorAll(${JSON.stringify(menuSelector)}).length >= ${expectedMenuEntries.length} || document.body.innerText.includes('Something went wrong')`,
        { timeout: 120_000, polling: 250 },
      )
      .catch(async (error: unknown) => {
        const text = await inPage<string>(page, 'document.body.innerText.slice(0, 2000)');
        throw new Error(`Redoc did not render the document's ${expectedMenuEntries.length} menu entries: ${String(error)}\n${text}`, {
          cause: error,
        });
      });

    expect(record.pageErrors).to.deep.equal([]);
    expect(record.consoleErrors).to.deep.equal([]);
    // The menu lists each operation once under each tag, by its summary, as Redoc does.
    const menu = await inPage<Record<'data-item-id' | 'aria-label', string>[]>(
      page,
      attributesOf(menuSelector, 'data-item-id', 'aria-label'),
    );
    expect(menu.map((item) => item['data-item-id'].replace(/^tag\//, '')).sort()).to.deep.equal(expectedMenuEntries.sort());
    const listApps = operations.find((operation) => operation.operationId === 'listApps');
    expect(listApps?.summary).to.be.a('string');
    expect(menu.map((item) => item['aria-label'])).to.include(listApps!.summary);
    // Each operation has its section in the middle panel, headed by its summary.
    const sections = await inPage<number>(page, `document.querySelectorAll('[data-section-id*="/operation/"]').length`);
    expect(sections).to.equal(expectedMenuEntries.length);
    const listAppsHeading = await inPage<string>(
      page,
      `document.querySelector('[data-section-id="tag/Apps/operation/listApps"] h2')?.textContent.trim()`,
    );
    expect(listAppsHeading).to.equal(listApps!.summary);

    // Redoc's own styles applied under the page's policy (they carry its nonce).
    const styles = await inPage<{ nonce: string; rules: number }[]>(
      page,
      `[...document.querySelectorAll('style')].map((element) => ({ nonce: element.nonce, rules: element.sheet?.cssRules.length ?? 0 }))`,
    );
    expect(styles.length).to.be.greaterThan(0);
    for (const style of styles) expect(style.nonce).to.not.equal('');
    expect(styles.reduce((sum, style) => sum + style.rules, 0)).to.be.greaterThan(100);

    // No way to send requests from the page: Redoc's community edition has no console, and nothing says otherwise.
    expect(await inPage<string>(page, 'document.body.innerText')).not.to.match(/try it|send request|try out/i);
    const buttons = await inPage<string[]>(page, `[...document.querySelectorAll('button')].map((button) => button.textContent.trim())`);
    expect(buttons.length).to.be.greaterThan(0);
    for (const label of buttons) expect(label).not.to.match(/^(try( it)?( out)?|send( request)?|execute|run)$/i);
    expect(await inPage<number>(page, `document.querySelectorAll('form').length`)).to.equal(0);
    // The download link is the document on this server.
    expect(await inPage<string>(page, `document.querySelector('a[download]').href`)).to.equal(`${origin}${referencePath}/openapi.json`);

    expect(record.elsewhere).to.deep.equal([]);
    expect(record.consoleErrors).to.deep.equal([]);
    const statuses = record.local.map((entry) => `${entry.status} ${new URL(entry.url).pathname}`);
    expect(statuses).to.include.members([`200 ${referencePath}`, `200 ${referencePath}/openapi.json`]);
    expect(statuses.filter((line) => !line.startsWith('200 '))).to.deep.equal([]);
    await page.close();
  });

  it('the recording page catches a request to another origin (the checks above can fail)', async () => {
    const { page, record } = await recordingPage(browser, origin);
    await page.setContent('<img src="http://elsewhere.invalid/probe.png">', { waitUntil: 'load' });
    expect(record.elsewhere).to.deep.equal(['http://elsewhere.invalid/probe.png']);
    await page.close();
  });

  it("searches in its worker under the page's policy", async () => {
    const { page, record } = await recordingPage(browser, origin);
    await page.goto(`${server.url}${referencePath}`, { waitUntil: 'load' });
    await page.waitForSelector('input.search-input', { timeout: 120_000 });
    await page.type('input.search-input', 'droplet');
    await page.waitForSelector('[data-role="search:results"] li[data-item-id*="/operation/"]', { timeout: 60_000 });
    const results = await inPage<Record<'aria-label', string>[]>(page, attributesOf('[data-role="search:results"] li', 'aria-label'));
    expect(results.map((result) => result['aria-label'])).to.include('Get the current droplet of an app');
    expect(record.elsewhere).to.deep.equal([]);
    expect(record.consoleErrors).to.deep.equal([]);
    expect(record.pageErrors).to.deep.equal([]);
    await page.close();
  });
});
