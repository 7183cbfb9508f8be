/* "Print" buttons on slips and lists: a button with data-print prints the page. A file of
   its own, because the Content-Security-Policy allows no inline script. Without
   JavaScript the browser's own Print command does the same. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
