// Uploads through the API's POST /files (session cookie + CSRF header), then names the file in the form.
"use strict";
(() => {
  const upload = document.getElementById("upload");
  if (!upload) return;
  const files = document.getElementById("files");
  const status = document.getElementById("upload-status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    if (!file) return;
    const body = new FormData();
    body.append("file", file, file.name);
    status.textContent = `Uploading ${file.name}…`;
    try {
      const resp = await fetch("/files", { method: "POST", body, headers: { "X-CSRF-Token": csrf } });
      const data = await resp.json();
      if (!resp.ok) throw new Error(data.message || resp.statusText);
      files.value = (files.value.trim() + "\n" + data.fileId).trim();
      status.textContent = `Uploaded ${data.fileName} (${data.characterCount} characters) as ${data.fileId}.`;
    } catch (error) {
      status.textContent = `Upload failed: ${error.message}`;
    }
    upload.value = "";
  });
})();
