// Starting Debian's Firefox ESR headless on a fresh temporary profile, and
// ending it whole: for the adapter (a browser of its own, client.mjs) and the
// service (one browser shared by a run's adapters, service.mjs) alike.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIREFOX_DIR = "/usr/lib/firefox-esr";

// "Firefox 153.8.0esr": from the application.ini of the binary that runs.
export function version() {
  try {
    const ini = readFileSync(join(FIREFOX_DIR, "application.ini"), "utf8");
    return `Firefox ${ini.match(/^Version=(.*)$/m)[1]}esr`;
  } catch { return "Firefox"; }
}

// Firefox gathers no host candidate, loopback included, while the network has
// no default route — none in a namespace holding only lo. There (and only there:
// a user namespace other than the initial one, whose only interface is lo, with
// no default route yet) the route `default dev lo src 127.0.0.1` is added, as
// the namespace's root (`ip`, iproute2). It stays for the namespace's life; a
// second adapter finds it there. Elsewhere nothing is touched.
function routeInPrivateNamespace() {
  let uidMap = "";
  try { uidMap = readFileSync("/proc/self/uid_map", "utf8").trim().split(/\s+/).join(" "); } catch { return; }
  if (uidMap === "0 0 4294967295") return; // the initial user namespace: the host's network
  if (Object.keys(networkInterfaces()).some((name) => name !== "lo")) return;
  const routes = spawnSync("ip", ["-4", "route", "show", "default"], { encoding: "utf8" });
  if (routes.status !== 0 || routes.stdout.trim() !== "") return;
  spawnSync("ip", ["route", "add", "default", "dev", "lo", "src", "127.0.0.1"], { stdio: "ignore" });
}

// The profile's preferences (user.js of a fresh profile): host candidates on
// loopback, as addresses (no mDNS names), no permission prompt; and no start-up
// work that does not serve the session (first-run pages, updates, telemetry,
// safe browsing, connectivity probes).
const PREFS = {
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  "media.navigator.permission.disabled": true,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.aboutwelcome.enabled": false,
  "startup.homepage_welcome_url": "",
  "browser.startup.page": 0,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "app.update.enabled": false,
  "app.update.auto": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "browser.newtabpage.enabled": false,
  "browser.discovery.enabled": false,
  "services.settings.server": "http://127.0.0.1:1/",
  "network.dns.disableIPv6": true,
};

// Starts Firefox on `url` through ./firefox-tied (PR_SET_PDEATHSIG: the kernel
// kills it with this process, even by SIGKILL), in a session of its own.
// Returns the child process and kill(), which ends every process of that
// session and removes the profile; it also runs when this process exits.
export function launchFirefox(url) {
  routeInPrivateNamespace();
  removeStaleProfiles();
  const profile = mkdtempSync(join(tmpdir(), `sigtrust-firefox-${process.pid}-`));
  writeFileSync(join(profile, "user.js"),
    Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(""));
  const firefox = spawn(fileURLToPath(new URL("./firefox-tied", import.meta.url)),
    ["--headless", "--no-remote", "--profile", profile, url],
    { detached: true, stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1", MOZ_HEADLESS: "1" } });
  const kill = () => killBrowser(firefox, profile);
  process.on("exit", kill);
  return { firefox, kill };
}

// The whole browser ends with this process: every process of its session (it
// was started in a session of its own: the main process, its content and
// utility processes, whatever process group they chose), then the temporary
// profile is removed.
function killBrowser(firefox, profile) {
  const sid = firefox?.pid;
  if (sid) {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        // /proc/PID/stat: "pid (comm) state ppid pgrp session ..."; comm may hold spaces.
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
        if (Number(fields[3]) === sid) process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
  }
  if (profile) try { rmSync(profile, { recursive: true, force: true }); } catch {}
}

// Profiles of adapters that were killed (SIGKILL leaves no way out to remove
// them; the browser died with them): removed by the next adapter.
function removeStaleProfiles() {
  for (const name of readdirSync(tmpdir())) {
    const owner = name.match(/^sigtrust-firefox-(\d+)-/);
    if (!owner) continue;
    try { process.kill(Number(owner[1]), 0); continue; } catch (e) { if (e.code !== "ESRCH") continue; }
    try { rmSync(join(tmpdir(), name), { recursive: true, force: true }); } catch {}
  }
}
