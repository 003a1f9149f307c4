// The panel works without scripts; this only wires the print button and the box that ticks
// every petition of a page (no inline handlers: the Content-Security-Policy allows scripts
// from this server only).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});

document.querySelectorAll("[data-choose-all]").forEach(function (box) {
  var name = box.getAttribute("data-choose-all");
  box.hidden = false;
  box.addEventListener("change", function () {
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(
      function (each) { each.checked = box.checked; });
  });
});
