// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  function showToast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var toast = document.createElement("div");
    toast.className = "toast toast--" + (kind || "success");
    toast.textContent = text;
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 5000);
  }

  function fadeServerToasts() {
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]")) target.form.submit();
  });

  // <dialog> forms: a link with data-dialog opens the dialog once htmx has put the form in it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target.closest("dialog");
    if (dialog && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { event.preventDefault(); closer.closest("dialog").close(); }
  });
  // A dialog that showed a sent report leaves the page behind out of date: reload it once closed.
  // ("close" does not bubble, hence the capture.)
  document.addEventListener("close", function (event) {
    if (event.target.matches("dialog") && event.target.querySelector("[data-progress-sent]")) window.location.reload();
  }, true);
  document.addEventListener("close-dialog", function () {
    document.querySelectorAll("dialog[open]").forEach(function (dialog) { dialog.close(); });
  });

  // On a weak connection a send can fail; the form is still there and a retry is safe (one-time tokens).
  document.addEventListener("htmx:sendError", function () {
    showToast("Mất kết nối. Nội dung vẫn còn trên trang, hãy bấm gửi lại.", "error");
  });
  document.addEventListener("htmx:responseError", function () {
    showToast("Máy chủ chưa xử lý được yêu cầu. Vui lòng thử lại sau ít phút.", "error");
  });

  document.addEventListener("DOMContentLoaded", function () {
    fadeServerToasts();
    // Server responses announce saved changes with HX-Trigger: {"toast": {"text": "...", "kind": "success"}}
    document.body.addEventListener("toast", function (event) {
      showToast(event.detail.text || event.detail.value, event.detail.kind);
    });
  });
})();
