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
    if (target.matches("input[type=file][data-downscale]")) downscaleChosenPhotos(target);
  });

  // A phone photo weighs 3–12 MB: minutes on a mountain link. Photos chosen in an input marked
  // data-downscale="<px>" are redrawn as JPEG at most that many pixels on the long side before they are
  // sent. The server re-encodes every image anyway (and strips EXIF), so nothing it would keep is lost;
  // PDFs, small photos and formats the browser cannot draw go as they are.
  function downscalePhoto(file, longest, quality, keepBytes) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= (keepBytes || 1024 * 1024)) { bitmap.close(); return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // transparent PNG areas would turn black in a JPEG
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", quality || 0.85);
      });
    }).catch(function () { return file; });
  }

  function downscaleChosenPhotos(input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length || !window.DataTransfer) return;
    var longest = parseInt(input.getAttribute("data-downscale"), 10) || 2048;
    // On a slow link (Chrome's estimate: 2G/3G, or data saver on), or with none at all (the report waits
    // for a signal that is likely weak), the photo travels at ~50 KB/s: a smaller copy that still shows
    // the work done (TARGETS P8, P9). The server keeps whatever arrives.
    var connection = navigator.connection;
    var slow = !navigator.onLine || (connection && (connection.saveData || /(^|-)(2g|3g)$/.test(connection.effectiveType || "")));
    if (slow) longest = Math.min(longest, 1024);
    var quality = slow ? 0.7 : 0.85;
    var buttons = input.form ? input.form.querySelectorAll("button[type=submit]") : [];
    var status = input.parentNode.querySelector("[data-downscale-status]");
    if (!status) {
      status = document.createElement("p");
      status.className = "field__help";
      status.setAttribute("role", "status");
      status.setAttribute("data-downscale-status", "");
      input.insertAdjacentElement("afterend", status);
    }
    // The original files must not leave while their smaller copies are being drawn.
    buttons.forEach(function (button) { button.disabled = true; });
    input.setAttribute("aria-busy", "true");
    status.textContent = input.getAttribute("data-downscale-busy") || "";
    Promise.all(files.map(function (file) { return downscalePhoto(file, longest, quality, slow ? 200 * 1024 : 0); })).then(function (smaller) {
      var transfer = new DataTransfer();
      smaller.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    }).finally(function () {
      buttons.forEach(function (button) { button.disabled = false; });
      input.removeAttribute("aria-busy");
      status.textContent = "";
    });
  }

  // <dialog> forms: a link with data-dialog opens the dialog once htmx has put the form in it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target.closest("dialog");
    // The empty dialog has no title to point at until the form arrives (an aria-labelledby to
    // nowhere is invalid HTML): it is named by the heading htmx just put in it.
    var heading = dialog && dialog.querySelector("h1[id], h2[id], h3[id]");
    if (heading) dialog.setAttribute("aria-labelledby", heading.id);
    if (dialog && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) { event.preventDefault(); closer.closest("dialog").close(); }
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
