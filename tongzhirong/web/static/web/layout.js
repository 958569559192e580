// The menu button on narrow screens, and each table cell labelled with its column so that a table can be drawn
// as one card per row on a phone (layout.css). Without script the menu stays open and tables stay tables.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var menu = document.getElementById("site-menu");
    if (toggle && menu) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = menu.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    document.querySelectorAll("main table").forEach(function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head) { return; }
      var labels = Array.prototype.map.call(head.cells, function (cell) { return cell.textContent.trim(); });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (labels[column] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", labels[column]); }
            column += cell.colSpan || 1;
          });
        });
      });
      table.classList.add("cards");
    });
  });
})();
