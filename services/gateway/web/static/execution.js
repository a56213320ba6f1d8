// Live status over the execution's SSE stream (EventSource resends Last-Event-ID after a drop),
// tokens of a streaming execution, file citations resolved through the API, and promotion.
"use strict";
(() => {
  const root = document.querySelector(".execution");
  if (!root) return;
  const id = root.dataset.executionId;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const terminal = new Set(["succeeded", "failed", "cancelled"]);
  const $ = (sel) => document.getElementById(sel);
  const api = (path, body) => fetch(path, {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
  });

  function showState(state) {
    const badge = document.createElement("span");
    badge.className = `badge status-${state.status}`;
    badge.textContent = state.status;
    $("status").replaceChildren(badge);
    $("progress").value = state.progressPct || 0;
    $("progress-pct").textContent = state.progressPct || 0;
    $("progress-message").textContent = state.progressMessage || "";
    $("startedAt").textContent = state.startedAt || "—";
    const channel = state.handlerOutput && state.handlerOutput.streamingChannelId;
    if (channel) followTokens(channel);
    // The finished page (output, citations, promote) is rendered by the server: fetch it once.
    if (terminal.has(state.status) && !terminal.has(root.dataset.status)) location.reload();
  }

  function followStatus() {
    if (terminal.has(root.dataset.status)) return;
    const source = new EventSource(`/pipeline-executions/${encodeURIComponent(id)}/stream`);
    source.addEventListener("execution-state", (e) => { $("live").textContent = "live"; showState(JSON.parse(e.data)); });
    source.addEventListener("stream-complete", () => source.close());  // else EventSource would reconnect
    source.onerror = () => { $("live").textContent = "reconnecting…"; };
  }

  let tokens = null;
  function followTokens(channel) {
    if (tokens || !$("tokens")) return;
    tokens = new EventSource(`/channels/${encodeURIComponent(channel)}/stream`);
    tokens.addEventListener("token", (e) => { $("tokens").textContent += JSON.parse(e.data).token; });
    tokens.addEventListener("stream-complete", () => tokens.close());
  }

  async function resolveCitations() {
    const items = [...document.querySelectorAll("li.pending-file")];
    if (!items.length) return;
    const resp = await api("/citations/resolve", { citations: items.map((li) => JSON.parse(li.dataset.citation)) });
    const body = await resp.json();
    items.forEach((li, i) => {
      const quote = li.querySelector("blockquote");
      if (!resp.ok) { quote.textContent = `Could not resolve: ${body.message}`; return; }
      const found = body.data[i];
      li.querySelector("p").textContent = `${found.fileName}, page ${found.pageNumber}` +
        (found.endPageNumber !== found.pageNumber ? `–${found.endPageNumber}` : "");
      quote.textContent = found.citedText;
      li.classList.replace("pending-file", "resolved");
    });
  }

  function promoteForm() {
    const form = $("promote-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = new FormData(form);
      const body = { exampleName: f.get("exampleName"), rationale: f.get("rationale") };
      if (f.get("existingExampleSetId")) body.existingExampleSetId = f.get("existingExampleSetId");
      else body.newExampleSet = { name: f.get("newSetName") || "Examples", description: f.get("newSetDescription") };
      const resp = await api(`/pipeline-executions/${encodeURIComponent(id)}/promote-to-example`, body);
      const data = await resp.json();
      $("promote-result").textContent = resp.ok
        ? `Promoted as ${data.exampleId} in set ${data.exampleSetId}.`
        : `Refused: ${data.message}${(data.details || []).map((d) => ` ${d.field}: ${d.problem}`).join(";")}`;
    });
  }

  followStatus();
  if (root.dataset.channel) followTokens(root.dataset.channel);  // a finished one replays its tokens too
  resolveCitations();
  promoteForm();
})();
