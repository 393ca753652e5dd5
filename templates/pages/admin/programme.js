// The programme form's period rows: add a row, remove one, move one up or
// down. Rows are numbered by their order (`period.<n>.<field>`), so the
// origin reads them in the order shown. Without this script the form still
// works with its fixed blank rows.
"use strict";
(function () {
  const list = document.getElementById("periods");
  if (!list) return;

  function renumber() {
    list.querySelectorAll("fieldset.period").forEach((row, i) => {
      row.querySelector("legend").textContent = "period " + (i + 1);
      row.querySelectorAll("[name^='period.']").forEach((el) => {
        el.name = el.name.replace(/^period\.\d+\./, "period." + i + ".");
      });
    });
  }

  function button(label, title, act) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", act);
    return b;
  }

  function controls(row) {
    const bar = document.createElement("div");
    bar.append(
      button("↑", "move this period up", () => {
        if (row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
        renumber();
      }),
      button("↓", "move this period down", () => {
        if (row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
        renumber();
      }),
      button("remove", "remove this period", () => {
        if (list.querySelectorAll("fieldset.period").length > 1) row.remove();
        else clear(row);
        renumber();
      })
    );
    row.append(bar);
  }

  function clear(row) {
    row.querySelectorAll("input, textarea").forEach((el) => (el.value = ""));
    row.querySelectorAll("select").forEach((el) => (el.selectedIndex = 0));
    row.querySelectorAll(".error").forEach((el) => el.remove());
  }

  list.querySelectorAll("fieldset.period").forEach(controls);
  const add = button("add a period", "add a period at the end", () => {
    const rows = list.querySelectorAll("fieldset.period");
    const last = rows[rows.length - 1];
    const row = last.cloneNode(true);
    row.querySelectorAll("div").forEach((el) => el.remove());
    clear(row);
    list.append(row);
    controls(row);
    renumber();
  });
  list.after(add);
})();
