// The composer never loses work: its fields are kept in this browser as they change, a draft is
// saved on the server every few seconds while one types (the first save makes the draft, and the
// address becomes its edit page), a page with unsaved changes asks before it is left, and a
// reload brings the kept fields back. A scheduled or failed post is kept in this browser only.
(function () {
  "use strict";
  var PREFIX = "openpost:composer:";
  var SKIPPED = { csrf_token: true, file: true, action: true, new_alt_text: true };
  var dirty = false;
  var timer = null;
  var serverTimer = null;
  var edits = 0;  // changes made so far; a save answered for fewer leaves the page dirty
  var SERVER_EVERY = 3000;
  var inFlight = false;
  var waiting;  // the button of a submit held back while an autosave was on its way  // one save at a time: the first one's answer names the draft to update

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
    edits += 1;
    if (!serverTimer && f.dataset.draftUrl) { serverTimer = setTimeout(saveDraft, SERVER_EVERY); }
  }

  function hidden(f, name, value) {
    var input = f.elements[name];
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      f.appendChild(input);
    }
    input.value = value;
  }

  function status(f, text) {
    var box = f.querySelector("#autosave-status");
    if (box) { box.textContent = text; }
  }

  function resubmit(f) {
    var button = waiting;
    waiting = undefined;
    if (button) { f.requestSubmit(button); } else { f.requestSubmit(); }
  }

  function saveDraft() {
    var f = form();
    serverTimer = null;
    if (!f || !f.dataset.draftUrl || !dirty || inFlight) { return; }
    inFlight = true;
    var body = new URLSearchParams();
    new FormData(f).forEach(function (value, name) {
      if (name !== "action" && typeof value === "string") { body.append(name, value); }
    });
    var sent = edits;
    fetch(f.dataset.draftUrl, { method: "POST", body: body, credentials: "same-origin",
                                headers: { "X-CSRFToken": f.elements.csrf_token.value } })
      .then(function (answer) {
        return answer.json().then(function (data) { return { ok: answer.ok, data: data }; });
      })
      .then(function (result) {
        answered(result, sent);
        if (waiting !== undefined && form()) { resubmit(form()); }
      })
      .catch(function () {
        inFlight = false;
        if (waiting !== undefined && form()) { resubmit(form()); }
        /* offline: the typing stays in this browser; the next change retries */
      });
  }

  // The draft's address and version from an autosave's answer, or why it was not saved.
  function answered(result, sent) {
    var current = form();
    inFlight = false;
    if (sent !== edits && !serverTimer) { serverTimer = setTimeout(saveDraft, SERVER_EVERY); }
    if (!current) { return; }
    if (!result.ok) {
      status(current, "Not saved as a draft yet: " + (result.data.error || "refused") +
             ". Your typing is kept in this browser.");
      return;
    }
    var saved = result.data;
    if (window.location.pathname !== saved.url) {
      localStorage.removeItem(keyOf(current));
      window.history.replaceState(null, "", saved.url);
      current.action = saved.url;
      current.dataset.autosave = saved.url;
    }
    current.dataset.draftUrl = saved.autosave;
    hidden(current, "post_id", saved.post_id);
    hidden(current, "version", String(saved.version));
    current.querySelectorAll("input[name=channel_id]:checked").forEach(function (box) {
      if (!current.querySelector("input[name=autosaved_channel][value='" + box.value + "']")) {
        var made = document.createElement("input");
        made.type = "hidden";
        made.name = "autosaved_channel";
        made.value = box.value;
        current.appendChild(made);
      }
    });
    current.dataset.draftSaves = String(Number(current.dataset.draftSaves || 0) + 1);
    status(current, "Saved as draft " + new Date().toLocaleTimeString(
      [], { hour: "2-digit", minute: "2-digit" }));
    if (sent === edits) {
      dirty = false;
      localStorage.removeItem(keyOf(current));
    }
  }

  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  document.addEventListener("submit", function (event) {
    var f = form();
    if (f && event.target === f) {
      if (inFlight) {
        // An autosave is on its way: submit once it answers, with the version it gives back.
        event.preventDefault();
        waiting = event.submitter || null;
        return;
      }
      dirty = false;
      if (timer) { clearTimeout(timer); timer = null; }
      if (serverTimer) { clearTimeout(serverTimer); serverTimer = null; }
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
