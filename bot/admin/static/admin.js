"use strict";
// Small comforts only: the dashboard works without this script.
(function () {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // On a phone the filters fold away until needed (unless some are in use).
  if (window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll("details.filter-box").forEach(function (box) {
      if (box.dataset.active === "0") box.open = false;
    });
  }
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!navigator.clipboard) return;
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = button.dataset.copied || button.textContent;
      });
    });
  });
})();
