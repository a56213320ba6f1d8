// The /v1 status page polls GET /v1/status (as the reference client does) until it is terminal.
"use strict";
(() => {
  const root = document.querySelector(".v1-status");
  if (!root || root.dataset.status !== "RUNNING") return;
  const badge = document.getElementById("status");
  let delay = 1000;
  const poll = async () => {
    try {
      const resp = await fetch(`/v1/status/${encodeURIComponent(root.dataset.arn)}`);
      const { data } = await resp.json();
      badge.innerHTML = "";
      const span = document.createElement("span");
      span.className = `badge status-${data.status.toLowerCase()}`;
      span.textContent = data.status;
      badge.append(span);
      if (data.status !== "RUNNING") { location.reload(); return; }  // the server renders rules and TTPs
    } catch (_) { /* a dropped connection: try again on the next tick */ }
    delay = Math.min(delay * 1.5, 5000);
    setTimeout(poll, delay);
  };
  setTimeout(poll, 500);
})();
