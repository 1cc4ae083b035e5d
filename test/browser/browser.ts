/**
 * Debian's Chromium driven by playwright-core (which downloads no browser): one headless browser
 * for the dashboard's tests and benchmark, each page recording the console errors and uncaught
 * exceptions it saw, and screenshots saved under .local/screenshots/dashboard (git-ignored) for
 * review. `.ci/run` installs the browser; BESU_FLEET_CHROMIUM points at another one.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "../support/paths.js";

export const CHROMIUM = process.env.BESU_FLEET_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.join(REPO_ROOT, ".local", "screenshots", "dashboard");

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set BESU_FLEET_CHROMIUM.`);
  // NOTE: --no-sandbox because CI runs as root, where Chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions, in order. */
  problems: string[];
}

/** A new page at laptop size that records what went wrong on it. */
export async function openPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
