// The stream page's upload: each file is its own request (so each has its
// own progress bar), one after another; the origin indexes it, rebuilds
// the stream and answers JSON with the file's outcome and the player link.
"use strict";
(function () {
  const form = document.getElementById("upload");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const list = document.getElementById("upload-list");
  const drop = document.getElementById("upload-drop");

  function row(file) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name + " ";
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    // A screen reader names each bar by its file.
    bar.setAttribute("aria-label", "upload of " + file.name);
    bar.value = 0;
    const out = document.createElement("span");
    out.setAttribute("role", "status");
    li.append(name, bar, out);
    list.append(li);
    return { bar, out };
  }

  function send(file, ui) {
    return new Promise((resolve) => {
      const body = new FormData();
      body.append("file", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.url);
      xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => { ui.bar.value = e.loaded; };
      xhr.onload = () => {
        let j = {};
        try { j = JSON.parse(xhr.responseText); } catch (_) { j = { error: xhr.statusText }; }
        const f = (j.files || [])[0] || {};
        ui.bar.value = ui.bar.max;
        if (j.error || f.error) {
          ui.out.textContent = " " + (f.error || j.error);
          ui.out.className = "error";
        } else {
          ui.out.textContent = " indexed: " + f.rep + " (" + f.contentType + ", " + f.segments + " segments) ";
          ui.out.className = "notice";
          if (j.play) {
            const a = document.createElement("a");
            a.href = j.play;
            a.textContent = "play";
            ui.out.append(a);
          }
        }
        resolve();
      };
      xhr.onerror = () => { ui.out.textContent = " the upload failed"; ui.out.className = "error"; resolve(); };
      xhr.send(body);
    });
  }

  async function upload(files) {
    const jobs = Array.from(files).map((f) => [f, row(f)]);
    for (const [f, ui] of jobs) await send(f, ui);
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); upload(input.files); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files); });
})();
