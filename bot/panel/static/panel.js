// The panel works without scripts; this only wires the print button (no inline handlers:
// the Content-Security-Policy allows scripts from this server only).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
