// The composer never loses work: its fields are kept in this browser as they change, a page
// with unsaved changes asks before it is left, and a reload brings the kept fields back.
(function () {
  "use strict";
  var PREFIX = "openpost:composer:";
  var SKIPPED = { csrf_token: true, file: true, action: true, new_alt_text: true };
  var dirty = false;
  var timer = null;

  function form() { return document.getElementById("composer"); }
  function keyOf(f) { return PREFIX + f.dataset.autosave; }

  function fields(f) {
    var pairs = [];
    new FormData(f).forEach(function (value, name) {
      if (!SKIPPED[name] && typeof value === "string") { pairs.push([name, value]); }
    });
    return pairs;
  }

  function save() {
    var f = form();
    timer = null;
    if (!f || !dirty) { return; }
    try {
      localStorage.setItem(keyOf(f), JSON.stringify({ saved: Date.now(), fields: fields(f) }));
      f.dataset.autosaved = "yes";
    } catch (ignored) { /* storage full or refused: the beforeunload warning still guards */ }
  }

  function changed(event) {
    var f = form();
    if (!f || !f.contains(event.target) || event.target.type === "file") { return; }
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1000);
  }

  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  document.addEventListener("submit", function (event) {
    var f = form();
    if (f && event.target === f) {
      dirty = false;
      if (timer) { clearTimeout(timer); timer = null; }
      localStorage.removeItem(keyOf(f));
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    save();
    event.preventDefault();
    event.returnValue = "";  // older browsers want a value to show their dialog
  });

  function note(f, when) {
    var box = f.querySelector(".autosave-note");
    if (!box) { return; }
    box.textContent = "Restored the changes you had not saved (kept in this browser at " +
      new Date(when).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + "). ";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "small secondary";
    discard.textContent = "Discard them";
    discard.addEventListener("click", function () {
      localStorage.removeItem(keyOf(form()));
      dirty = false;
      window.location.reload();
    });
    box.appendChild(discard);
    box.hidden = false;
  }

  function restore() {
    var f = form();
    var kept;
    if (!f || !f.dataset.autosave) { return; }
    try { kept = JSON.parse(localStorage.getItem(keyOf(f)) || "null"); } catch (ignored) { kept = null; }
    if (!kept || !kept.fields || !kept.fields.length) { return; }
    var body = new URLSearchParams();
    kept.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("csrf_token", f.elements.csrf_token.value);
    fetch(f.dataset.restore, { method: "POST", body: body, credentials: "same-origin",
                               headers: { "HX-Request": "true" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var current = form();
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#composer");
        if (!current || !fresh) { return; }
        current.replaceWith(fresh);
        if (window.htmx) { window.htmx.process(fresh); }
        dirty = true;
        note(fresh, kept.saved);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restore);
  } else {
    restore();
  }
})();
