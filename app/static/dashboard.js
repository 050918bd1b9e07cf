// Calendar drag and drop: dropping a post chip on a day or hour slot submits the move form.
(function () {
  "use strict";

  function dropTarget(event) {
    return event.target.closest ? event.target.closest("#calendar [data-day]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var chip = event.target.closest ? event.target.closest("#calendar .chip") : null;
    if (!chip) { return; }
    event.dataTransfer.setData("text/plain", chip.dataset.postId);
    event.dataTransfer.effectAllowed = "move";
    chip.classList.add("dragging");
  });

  document.addEventListener("dragend", function (event) {
    if (event.target.classList) { event.target.classList.remove("dragging"); }
  });

  document.addEventListener("dragover", function (event) {
    var cell = dropTarget(event);
    if (!cell) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    cell.classList.add("drop-here");
  });

  document.addEventListener("dragleave", function (event) {
    var cell = dropTarget(event);
    if (cell && !cell.contains(event.relatedTarget)) { cell.classList.remove("drop-here"); }
  });

  document.addEventListener("drop", function (event) {
    var cell = dropTarget(event);
    if (!cell) { return; }
    event.preventDefault();
    cell.classList.remove("drop-here");
    var postId = event.dataTransfer.getData("text/plain");
    var form = document.getElementById("move-form");
    if (!postId || !form) { return; }
    form.elements.post_id.value = postId;
    form.elements.day.value = cell.dataset.day;
    form.elements.hour.value = cell.dataset.hour || "";
    form.requestSubmit();
  });
})();

// The header's menu is served open (usable without script); a phone starts with it folded.
(function () {
  "use strict";
  var menu = document.querySelector("details.menu");
  var phone = window.matchMedia("(max-width: 640px)");
  if (!menu) { return; }
  menu.open = !phone.matches;
  // Turned or resized past the breakpoint: wide screens have no Menu button to open it with.
  phone.addEventListener("change", function () { menu.open = !phone.matches; });
})();

// Time zone lists: typing in the search box above one keeps only the zones that match and
// chooses the first of them (the list alone still works without script).
(function () {
  "use strict";
  function wire(root) {
    root.querySelectorAll("select[data-zone-search]").forEach(function (select) {
      var box = document.getElementById(select.dataset.zoneSearch);
      if (!box || box.dataset.wired) { return; }
      box.dataset.wired = "yes";
      box.hidden = false;
      box.addEventListener("input", function () {
        var words = box.value.trim().toLowerCase().replace(/\s+/g, "_");
        var first = null;
        Array.prototype.forEach.call(select.options, function (option) {
          var match = !words || option.value.toLowerCase().indexOf(words) !== -1;
          option.hidden = !match;
          if (match && !first) { first = option; }
        });
        if (first && words && select.value !== first.value) {
          select.value = first.value;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:load", function (event) { wire(event.target); });
})();

// The Posts list's bulk bar: "All shown" ticks every row; the count names how many are chosen.
(function () {
  "use strict";

  function boxes() { return document.querySelectorAll('#post-list input[name="post_id"]'); }

  function update() {
    var form = document.getElementById("bulk-form");
    if (!form) { return; }
    var chosen = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
    document.getElementById("bulk-count").textContent = chosen ? chosen + " chosen" : "none chosen";
    form.querySelector('button[type="submit"]').disabled = chosen === 0;
    var all = document.getElementById("bulk-all");
    all.checked = chosen > 0 && chosen === boxes().length;
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-all") {
      Array.prototype.forEach.call(boxes(), function (b) { b.checked = event.target.checked; });
    }
    if (event.target.id === "bulk-all" || event.target.name === "post_id") { update(); }
  });
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSwap", update);
})();

// The calendar: a click on a slot's (or day's) empty space opens the composer at its time,
// as its "+" link does.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (!event.target.closest || event.target.closest("a, button, input, select, label")) { return; }
    var cell = event.target.closest("#calendar [data-day]");
    var link = cell && cell.querySelector("a.new-at");
    if (link) { window.location.assign(link.href); }
  });
})();
