// The validator page: opens the run's server-sent events (the page's own
// URL: the server answers it as text/event-stream to an EventSource) and
// fills the findings table, the manifest's numbered lines and the status.
(function () {
  "use strict";
  var status = document.getElementById("status");
  if (!status) return;
  var tbody = document.querySelector("#findings tbody");
  var manifest = document.getElementById("manifest");
  var add = document.getElementById("add");
  var counts = { error: 0, warning: 0 };

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function showManifest(text) {
    manifest.textContent = "";
    text.split("\n").forEach(function (line, i) {
      var n = i + 1;
      var span = document.createElement("span");
      span.id = "L" + n;
      var a = document.createElement("a");
      a.className = "n";
      a.href = "#L" + n;
      a.textContent = n;
      span.appendChild(a);
      span.appendChild(document.createTextNode(line));
      manifest.appendChild(span);
    });
  }

  function finding(f) {
    counts[f.severity] += 1;
    var row = document.createElement("tr");
    cell(row, f.severity, f.severity);
    cell(row, f.rule);
    cell(row, f.segment ? f.path + " " + f.segment : f.path);
    var line = cell(row, "");
    if (f.line > 0) {
      var a = document.createElement("a");
      a.href = "#L" + f.line;
      a.textContent = f.line;
      line.appendChild(a);
    }
    cell(row, f.clause);
    cell(row, f.expected);
    cell(row, f.seen);
    tbody.appendChild(row);
  }

  var source = new EventSource(location.pathname + location.search);
  function on(name, fn) {
    source.addEventListener(name, function (e) { fn(JSON.parse(e.data)); });
  }
  on("manifest", function (m) { showManifest(m.text); });
  on("progress", function (p) {
    var of = p.total ? p.done + "/" + p.total : p.done;
    status.textContent = p.stage + " " + of + (p.note ? ": " + p.note : "");
  });
  on("finding", finding);
  on("done", function (d) {
    source.close();
    status.textContent = "done: " + d.errors + " error(s), " + d.warnings +
      " warning(s), " + d.segments_checked + " segment(s) checked" +
      (d.stopped ? " (stopped early: " + d.stopped + ")" : "");
    if (add && !d.stopped) add.style.display = "block";
  });
  on("failed", function (f) {
    source.close();
    status.textContent = "could not validate: " + f.message;
  });
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) return;
    source.close();
    if (!/^done|^could not/.test(status.textContent)) {
      // EventSource hides the answer's status: a refusal (503 when the
      // server runs its most validations at once) looks like this too.
      status.textContent = "the server stopped or refused the run (busy?): try again shortly";
    }
  };
})();
