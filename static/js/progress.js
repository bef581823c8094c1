// The officer's progress form on a weak or absent connection (issues 19 and 20). Every page works
// without this file: the form then posts as a plain form and the server answers as before.
//
// - the portal's own messages beside the fields instead of the browser's bubbles; numbers in
//   Vietnamese notation, money grouped while typing (1.250.000) and sent plain; count, type and
//   size of the files checked before anything travels (the server still checks everything);
// - sending with a progress bar ("Đang gửi… 45 %") and a retry button;
// - no connection, or lost while sending: the report goes to the outbox on the phone and is sent
//   when the connection returns, with its one-time token, so it is never filed twice;
// - a service worker (/sw.js) keeps "my unit" and the progress forms for offline use.
(function () {
  "use strict";

  var Outbox = window.PortalOutbox;
  var root = null;  // the [data-offline-key] element of an officer's page

  function offlineKey() { return root ? root.getAttribute("data-offline-key") : ""; }

  function message(element, name, values) {
    var text = (element && element.getAttribute("data-msg-" + name)) || "";
    Object.keys(values || {}).forEach(function (placeholder) { text = text.split("{" + placeholder + "}").join(values[placeholder]); });
    return text;
  }

  function showToast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var toast = document.createElement("div");
    toast.className = "toast toast--" + (kind || "success");
    toast.textContent = text;
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // --- Numbers --------------------------------------------------------------------------------------

  function grouped(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, "."); }

  // "1.250,5" → 1250.5, "4,5" → 4.5, "4.5" → 4.5, "1.500" → 1500; NaN when it is not a number.
  // The same reading as ProgressForm's QuantityField (commitments/forms.py).
  function vietnameseNumber(text) {
    text = text.replace(/[\s\u00a0]/g, "");
    if (text.indexOf(",") !== -1) text = text.replace(/\./g, "").replace(",", ".");
    else if (/^-?\d{1,3}(\.\d{3})+$/.test(text)) text = text.replace(/\./g, "");
    return /^-?(\d+\.?\d*|\.\d+)$/.test(text) ? parseFloat(text) : NaN;
  }

  function groupMoneyInput(input) {
    var before = input.value.slice(0, input.selectionStart || 0).replace(/\D/g, "").length;
    var digits = input.value.replace(/\D/g, "").replace(/^0+(?=\d)/, "");
    var text = grouped(digits);
    if (text === input.value) return;
    input.value = text;
    // Put the caret back after the same number of digits.
    var position = 0;
    for (var seen = 0; position < text.length && seen < before; position++) if (/\d/.test(text[position])) seen++;
    if (document.activeElement === input) input.setSelectionRange(position, position);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("form[data-progress-form] input[data-money]")) groupMoneyInput(event.target);
    if (event.target.closest && event.target.closest(".field--error")) clearFieldError(event.target);
  });

  // Whatever builds the request body (the browser, FormData, htmx), money goes as plain digits.
  document.addEventListener("formdata", function (event) {
    if (!event.target.matches("form[data-progress-form]")) return;
    event.target.querySelectorAll("input[data-money]").forEach(function (input) {
      event.formData.set(input.name, input.value.replace(/[.\s\u00a0]/g, ""));
    });
  }, true);

  // --- Checks before sending ------------------------------------------------------------------------

  function clearFieldError(input) {
    var field = input.closest(".field");
    if (!field) return;
    field.querySelectorAll("[data-client-error]").forEach(function (node) { node.remove(); });
    if (!field.querySelector(".field__error")) field.classList.remove("field--error");
    input.removeAttribute("aria-invalid");
  }

  function showFieldError(input, text) {
    var field = input.closest(".field");
    var error = document.createElement("p");
    error.className = "field__error";
    error.id = input.id + "_client_error";
    error.setAttribute("data-client-error", "");
    error.textContent = text;
    field.appendChild(error);
    field.classList.add("field--error");
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(error.id) === -1) input.setAttribute("aria-describedby", described.concat(error.id).join(" "));
  }

  var ACCEPTED = /^(image\/(jpeg|png)|application\/pdf)$/;

  function validate(form) {
    form.querySelectorAll("[data-client-error]").forEach(function (node) {
      var input = node.closest(".field").querySelector("input, textarea, select");
      node.remove();
      if (input) clearFieldError(input);
    });
    var problems = [];
    var narrative = form.querySelector("textarea[name=narrative]");
    if (narrative && narrative.required && !narrative.value.trim()) problems.push([narrative, message(form, "required")]);
    var quantity = form.querySelector("input[name=achieved_quantity]");
    var money = form.querySelector("input[name=achieved_value_vnd]");
    var empty = true;
    if (quantity && quantity.value.trim()) {
      empty = false;
      var amount = vietnameseNumber(quantity.value);
      if (isNaN(amount)) problems.push([quantity, message(form, "number")]);
      else if (amount < 0) problems.push([quantity, message(form, "negative")]);
    }
    if (money && money.value.trim()) {
      empty = false;
      if (/^\s*-/.test(money.value)) problems.push([money, message(form, "negative")]);
      else if (!/^[\d.\s\u00a0]+$/.test(money.value)) problems.push([money, message(form, "number")]);
    }
    if (empty && (quantity || money)) problems.push([quantity || money, message(form, "result")]);
    var files = form.querySelector("input[type=file][name=evidence]");
    if (files && files.files.length) {
      var limit = parseInt(form.getAttribute("data-max-files"), 10) || 10;
      var bytes = parseInt(form.getAttribute("data-max-bytes"), 10) || Infinity;
      var fileProblems = [];
      if (files.files.length > limit) fileProblems.push(message(form, "files"));
      Array.prototype.forEach.call(files.files, function (file) {
        if (file.type && !ACCEPTED.test(file.type)) fileProblems.push(message(form, "type", { name: file.name }));
        else if (file.size > bytes) fileProblems.push(message(form, "size", { name: file.name }));
      });
      fileProblems.forEach(function (text) { problems.push([files, text]); });
    }
    problems.forEach(function (problem) { showFieldError(problem[0], problem[1]); });
    if (problems.length) problems[0][0].focus();
    return !problems.length;
  }

  // --- Sending --------------------------------------------------------------------------------------

  function itemFromForm(form) {
    var data = new FormData(form);
    var fields = [];
    var files = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
      else if (name === "evidence" && value.size) files.push(value);
    });
    var token = data.get("client_token");
    return {
      id: form.getAttribute("data-outbox-id") || token || self.crypto.randomUUID(),
      action: form.action,
      page: form.getAttribute("data-page") || location.pathname,
      title: form.getAttribute("data-commitment-title") || "",
      fields: fields,
      files: files,
      savedAt: Date.now(),
      state: "waiting",
    };
  }

  // XMLHttpRequest rather than fetch: only it reports upload progress.
  function send(item, onProgress) {
    return new Promise(function (resolve) {
      var request = new XMLHttpRequest();
      request.open("POST", item.action);
      request.setRequestHeader("HX-Request", "true");
      request.timeout = 120000;
      if (onProgress) {
        request.upload.onprogress = function (event) {
          if (event.lengthComputable) onProgress(Math.min(99, Math.round(100 * event.loaded / event.total)));
        };
      }
      request.onload = function () {
        resolve({
          status: request.status,
          url: request.responseURL,
          html: request.responseText || "",
          redirect: request.getResponseHeader("HX-Redirect"),
        });
      };
      request.onerror = request.ontimeout = request.onabort = function () { resolve({ status: 0 }); };
      request.send(Outbox.formData(item, csrfToken()));
    });
  }

  function sendingBox(form) { return form.querySelector("[data-sending]"); }

  function showSending(form, percent, text) {
    var box = sendingBox(form);
    if (!box) return;
    box.hidden = false;
    var bar = box.querySelector("progress");
    bar.hidden = percent === null;
    if (percent !== null) bar.value = percent;
    box.querySelector("[data-sending-text]").textContent = text;
    box.querySelector("[data-sending-actions]").hidden = percent !== null;
  }

  function setBusy(form, busy) {
    form.toggleAttribute("data-busy", busy);
    form.setAttribute("aria-busy", busy ? "true" : "false");
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = busy; });
  }

  // Put the server's answer in place of the form, as htmx would.
  function replaceForm(form, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    if (!fresh) return null;
    form.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    enhance(fresh);
    return fresh;
  }

  // Browsers cannot refill a file input from the server's page; the photos are still here.
  function restoreFiles(form, files) {
    var input = form && form.querySelector("input[type=file][name=evidence]");
    if (!input || !files.length || !window.DataTransfer) return;
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    var note = form.querySelector("[data-choose-again]");
    if (note) note.hidden = true;
  }

  function submitForm(form) {
    if (form.hasAttribute("data-busy") || !validate(form)) return;
    var item = itemFromForm(form);
    if (!navigator.onLine) { saveOffline(form, item); return; }
    setBusy(form, true);
    showSending(form, 0, message(form, "sending") + " 0 %");
    send(item, function (percent) { showSending(form, percent, message(form, "sending") + " " + percent + " %"); })
      .then(function (answer) { return answered(form, item, answer); });
  }

  function answered(form, item, answer) {
    var result = Outbox.outcome(answer);
    var key = offlineKey();
    var fromOutbox = form.getAttribute("data-outbox-id");
    if (result === "sent" || result === "refused") {
      if (result === "sent" && answer.redirect) { window.location.assign(answer.redirect); return; }
      var fresh = replaceForm(form, answer.html);
      if (result === "sent") {
        if (fromOutbox && key) Outbox.remove(key, fromOutbox).then(renderOutbox);
        return;
      }
      if (fresh) {
        restoreFiles(fresh, item.files);
        if (fromOutbox) fresh.setAttribute("data-outbox-id", fromOutbox);
        var alert = fresh.querySelector(".alert--error, .field__error");
        if (alert) alert.scrollIntoView({ block: "center" });
      }
      if (fromOutbox && key) {
        item.state = "refused";
        item.reason = "refused";
        item.html = answer.html;
        Outbox.put(key, item).then(renderOutbox);
      }
      return;
    }
    setBusy(form, false);
    if (result === "gone") {
      showSending(form, null, message(form, "gone"));
      if (key) { item.state = "refused"; item.reason = "gone"; item.html = ""; Outbox.put(key, item).then(renderOutbox); }
      return;
    }
    // No connection, an expired session, a server error: keep the report on the phone.
    var why = result === "login" ? message(form, "login") : result === "server" ? message(form, "server") : message(form, "failed");
    if (!key) { showSending(form, null, why); return; }
    Outbox.put(key, item).then(function () {
      form.setAttribute("data-outbox-id", item.id);
      showSending(form, null, why + " " + message(form, "saved"));
      requestSync();
      renderOutbox();
    });
  }

  // Offline: straight to the outbox; "đã lưu trên máy" must show within a second (TARGETS P9).
  function saveOffline(form, item) {
    var key = offlineKey();
    if (!key) { showSending(form, null, message(form, "failed")); return; }
    setBusy(form, true);
    Outbox.put(key, item).then(function () {
      requestSync();
      var card = document.createElement("div");
      card.className = "card progress-saved";
      card.setAttribute("data-progress-saved", "");
      var text = document.createElement("p");
      text.className = "alert alert--info";
      text.setAttribute("role", "status");
      text.textContent = message(form, "saved");
      card.appendChild(text);
      var next = form.querySelector("input[name=next]");
      var back = document.createElement("a");
      back.className = "button button--primary button--block-phone";
      back.href = (next && next.value) || (root && root.getAttribute("data-home")) || "/my-unit/";
      back.textContent = message(form, "close");
      if (form.closest("dialog")) back.setAttribute("data-close-dialog", "");
      card.appendChild(back);
      form.replaceWith(card);
      renderOutbox();
    });
  }

  function requestSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("outbox");
    }).catch(function () { /* Background Sync refused: the page sends when it is online again. */ });
  }

  // --- The outbox on the page -----------------------------------------------------------------------

  function reasonOf(item) {
    if (item.reason === "gone") return message(root, "gone");
    if (!item.html) return "";
    var page = new DOMParser().parseFromString(item.html, "text/html");
    var texts = [];
    page.querySelectorAll(".alert--error p:not(:first-child), .field__error").forEach(function (node) {
      texts.push(node.textContent.trim());
    });
    return texts.join(" ");
  }

  function when(timestamp) {
    var date = new Date(timestamp);
    function two(number) { return (number < 10 ? "0" : "") + number; }
    return two(date.getHours()) + ":" + two(date.getMinutes()) + " " + two(date.getDate()) + "/" + two(date.getMonth() + 1);
  }

  var sendingNow = {};  // item id → percent, while this page sends it

  function renderOutbox() {
    var key = offlineKey();
    var section = root && root.querySelector("[data-outbox]");
    if (!key || !section) return Promise.resolve();
    return Outbox.all(key).then(function (items) {
      var list = section.querySelector("[data-outbox-list]");
      var template = root.querySelector("template[data-outbox-item]");
      list.textContent = "";
      items.forEach(function (item) {
        var row = template.content.firstElementChild.cloneNode(true);
        row.setAttribute("data-outbox-item-id", item.id);
        row.querySelector("[data-item-title]").textContent = item.title;
        var meta = [message(root, "saved-at", { time: when(item.savedAt) })];
        if (item.files.length) meta.push(message(root, "files", { count: item.files.length }));
        row.querySelector("[data-item-meta]").textContent = meta.join(" · ");
        var state = row.querySelector("[data-item-state]");
        if (item.state === "refused") {
          row.classList.add("outbox__item--refused");
          state.textContent = message(root, "refused") + " " + reasonOf(item);
        } else if (item.id in sendingNow) {
          state.textContent = message(root, "sending") + " " + sendingNow[item.id] + " %";
          row.querySelector("progress").hidden = false;
          row.querySelector("progress").value = sendingNow[item.id];
        } else {
          state.textContent = message(root, "waiting");
        }
        row.querySelector("[data-item-edit]").href = item.page + "#outbox=" + encodeURIComponent(item.id);
        row.querySelector("[data-item-discard]").addEventListener("click", function () {
          if (window.confirm(message(root, "discard"))) Outbox.remove(key, item.id).then(renderOutbox);
        });
        list.appendChild(row);
      });
      section.hidden = !items.length;
      section.querySelector("[data-outbox-send]").hidden = !items.some(function (item) { return item.state === "waiting"; });
      document.documentElement.toggleAttribute("data-outbox-pending", items.length > 0);
    });
  }

  var flushing = null;

  function flush() {
    var key = offlineKey();
    if (!key || !navigator.onLine) return Promise.resolve();
    if (flushing) return flushing;
    flushing = Outbox.flush(key, function (item) {
      sendingNow[item.id] = 0;
      renderOutbox();
      return send(item, function (percent) {
        sendingNow[item.id] = percent;
        var row = root.querySelector('[data-outbox-item-id="' + CSS.escape(item.id) + '"]');
        if (!row) return;
        row.querySelector("progress").hidden = false;
        row.querySelector("progress").value = percent;
        row.querySelector("[data-item-state]").textContent = message(root, "sending") + " " + percent + " %";
      });
    }, function (item, result) {
      delete sendingNow[item.id];
      if (result === "sent") showToast(message(root, "sent", { title: item.title }), "success");
    }).catch(function () { /* storage unavailable: nothing to send from here */ }).then(function (done) {
      sendingNow = {};
      flushing = null;
      return renderOutbox().then(function () { return done; });
    });
    return flushing;
  }

  // "Sửa": the form page opened with #outbox=<id> takes the kept report back, as it was refused or typed.
  function reopenFromOutbox() {
    var match = /^#outbox=(.+)$/.exec(location.hash);
    var key = offlineKey();
    if (!match || !key) return;
    var id = decodeURIComponent(match[1]);
    Outbox.get(key, id).then(function (item) {
      var form = document.querySelector("form[data-progress-form]");
      if (!item || !form) return;
      if (item.html) form = replaceForm(form, item.html) || form;
      else item.fields.forEach(function (pair) { fill(form, pair[0], pair[1]); });
      form.setAttribute("data-outbox-id", item.id);
      restoreFiles(form, item.files);
      form.querySelectorAll("input[data-money]").forEach(groupMoneyInput);
      if (item.reason === "gone") showSending(form, null, message(form, "gone"));
      // Back in the outbox only when sent again: until then it waits as refused, not sent by itself.
    });
  }

  function fill(form, name, value) {
    if (name === "csrfmiddlewaretoken") return;
    var field = form.elements.namedItem(name);
    if (!field) return;
    if (field instanceof RadioNodeList || field.type === "checkbox") {
      form.querySelectorAll('input[name="' + CSS.escape(name) + '"]').forEach(function (box) {
        if (box.value === value) box.checked = true;
      });
    } else {
      field.value = value;
    }
  }

  // --- Wiring ---------------------------------------------------------------------------------------

  function enhance(scope) {
    var forms = scope.matches && scope.matches("form[data-progress-form]") ? [scope] : scope.querySelectorAll("form[data-progress-form]");
    forms.forEach(function (form) {
      // The portal's messages beside the fields replace the browser's bubbles; the server still checks.
      form.noValidate = true;
      form.querySelectorAll("input[data-money]").forEach(groupMoneyInput);
    });
  }

  // A page the phone kept may be opened many times, offline: each report written on it needs its
  // own one-time token, or the second would be taken for a repeat of the first.
  function freshTokens() {
    if (!document.querySelector("[data-offline-banner]:not([hidden])")) return;
    document.querySelectorAll("form[data-progress-form] input[name=client_token]").forEach(function (token) {
      token.value = self.crypto.randomUUID();
    });
  }

  // htmx would post the form itself; this file sends it instead (progress, outbox). Without this
  // file htmx does, and without JavaScript the browser does.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.target;
    if (element.matches("form[data-progress-form]")) {
      event.preventDefault();
      submitForm(element);
      return;
    }
    // Offline, the progress dialog cannot load: open the form page the phone keeps instead.
    if (!navigator.onLine && element.matches("a[data-hx-get][href]") && offlineKey()) {
      event.preventDefault();
      window.location.assign(element.href);
    }
  });
  document.addEventListener("submit", function (event) {
    // Only when htmx is missing: it handles the form's submit event and cancels the browser's own.
    if (event.target.matches("form[data-progress-form]") && !window.htmx) {
      event.preventDefault();
      submitForm(event.target);
    }
  });
  document.addEventListener("click", function (event) {
    var retry = event.target.closest("[data-retry]");
    if (retry) { submitForm(retry.closest("form")); return; }
    if (event.target.closest("[data-outbox-send]")) flush();
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });

  // Signing out empties the phone (the server also sends Clear-Site-Data); say so if reports wait.
  // The worker clears first, and stops keeping pages, so that nothing it was fetching is written after.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-cleared") || !/\/accounts\/logout\/$/.test(new URL(form.action, location.href).pathname)) return;
    if (document.documentElement.hasAttribute("data-outbox-pending") && root && !window.confirm(message(root, "logout"))) {
      event.preventDefault();
      return;
    }
    var worker = "serviceWorker" in navigator && navigator.serviceWorker.controller;
    if (!worker) return;
    event.preventDefault();
    var channel = new MessageChannel();
    var done = new Promise(function (resolve) {
      channel.port1.onmessage = resolve;
      setTimeout(resolve, 1500);  // a busy or stopped worker must not keep anyone signed in
    });
    worker.postMessage({ type: "forget" }, [channel.port2]);
    done.then(function () {
      form.setAttribute("data-cleared", "");
      HTMLFormElement.prototype.submit.call(form);
    });
  }, true);

  window.addEventListener("online", function () { flush(); });

  function registerWorker() {
    if (!root || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(root.getAttribute("data-worker")).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Keep this page, the progress forms it links to, and the files they use, for offline use.
      var pages = [location.pathname];
      document.querySelectorAll('a[href*="/progress/new/"]').forEach(function (link) { pages.push(link.pathname); });
      var assets = [];
      document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=icon][href], img[src]").forEach(function (node) {
        var url = new URL(node.src || node.href, location.href);
        if (url.origin === location.origin) assets.push(url.pathname);
      });
      if (registration.active) registration.active.postMessage({ type: "keep", pages: pages, assets: assets });
    }).catch(function () { /* no worker (private mode, old browser): the pages still work online */ });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") {
        if (event.data.sent) showToast(message(root, "sent", { title: event.data.sent }), "success");
        renderOutbox();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.querySelector("[data-offline-key]");
    enhance(document);
    freshTokens();
    registerWorker();
    renderOutbox().then(function () {
      reopenFromOutbox();
      flush();
    });
  });
})();
