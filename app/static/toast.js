// Failed htmx requests (htmx swaps nothing on 4xx/5xx) become a toast with the server's message.
(function () {
  "use strict";

  function messageOf(xhr) {
    var text = xhr.responseText || "";
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("json") !== -1) {
      try {
        var body = JSON.parse(text);
        return (body.error && body.error.message) || body.message || "";
      } catch (ignored) { return ""; }
    }
    var page = new DOMParser().parseFromString(text, "text/html");
    var node = page.getElementById("error") || page.querySelector("[role=alert]");
    return node ? node.textContent.trim() : "";
  }

  function region() {
    var box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.className = "toasts";
      box.setAttribute("aria-live", "assertive");
      document.body.appendChild(box);
    }
    return box;
  }

  function show(message) {
    var toast = document.createElement("div");
    toast.className = "toast toast-error";
    toast.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close link";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(text);
    toast.appendChild(close);
    region().appendChild(toast);
    window.setTimeout(function () { toast.remove(); }, 10000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    show(messageOf(xhr) || "The server answered " + xhr.status + "; nothing was changed.");
  });

  document.addEventListener("htmx:sendError", function () {
    show("The server could not be reached; check the connection and try again.");
  });
})();
