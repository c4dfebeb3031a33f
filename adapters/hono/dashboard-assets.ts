/**
 * The dashboard's one stylesheet and one script, served inline (with a CSP nonce) by the route
 * itself: no build step, no CDN, no external fonts. The script polls the live fragment and
 * sends revoke/redrive POSTs with the `x-celeriac-dashboard` header the server's CSRF guard
 * requires.
 * @module
 */

/** The page's CSS (system fonts only). */
export const PAGE_STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{display:flex;align-items:baseline;gap:1rem;padding:.6rem 1.2rem;background:#24303f;color:#fff}
h1{font-size:1.1rem;margin:0}h2{font-size:1rem;margin:1.2rem 0 .4rem}
main{padding:0 1.2rem 2rem}#flash{margin:0;font-size:.9rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}.num{text-align:right}.id{font-family:ui-monospace,monospace;font-size:12px}
.muted{color:#6b7480}.counts b{font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;word-break:break-all}
pre.traceback{max-height:16rem;overflow:auto;background:#fbf2f2;padding:.4rem;margin:.2rem 0}
.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:12px;background:#dde3ea}
.success,.online{background:#d4f2dc}.failure,.offline{background:#f8d7d7}.retry,.progress,.started{background:#fdf0c7}.revoked{background:#e4dcf5}
progress{width:8rem;vertical-align:middle}
button{font:inherit;font-size:12px;padding:.1rem .5rem;cursor:pointer}
body[data-stale="true"] #updated::after{content:" (stale)";color:#b00}
`;

/** The page's script: polling and the two actions. */
export const PAGE_SCRIPT = `(() => {
  const body = document.body, base = body.dataset.base || "", poll = Number(body.dataset.pollMs) || 2000;
  const live = document.getElementById("live"), flash = document.getElementById("flash");
  const headers = { "x-celeriac-dashboard": "1" };
  let busy = false;
  const say = (text) => { flash.textContent = text; };
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const r = await fetch(base + "/fragment", { headers, credentials: "same-origin", cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const open = new Set([...live.querySelectorAll("details[open]")].map((d) => d.dataset.key));
      live.innerHTML = await r.text();
      for (const d of live.querySelectorAll("details")) if (open.has(d.dataset.key)) d.open = true;
      body.dataset.stale = "false";
    } catch (e) {
      body.dataset.stale = "true";
      say("refresh failed: " + e.message);
    } finally {
      busy = false;
    }
  }
  live.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    const revoke = b.dataset.action === "revoke";
    const url = base + (revoke ? "/api/revoke/" + encodeURIComponent(b.dataset.id) : "/api/redrive");
    b.disabled = true;
    try {
      const r = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}", credentials: "same-origin" });
      const j = await r.json().catch(() => ({}));
      say(r.ok ? (revoke ? "revoked " + b.dataset.id : "redrove " + j.moved) : "failed: " + (j.error || r.status));
    } catch (e) {
      say("failed: " + e.message);
    }
    await refresh();
  });
  setInterval(refresh, poll);
})();`;
