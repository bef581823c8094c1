// The outbox: progress reports kept on the phone (IndexedDB) until the server has them.
// Shared by the pages (static/js/progress.js) and the service worker (/sw.js, Background Sync), so
// both send a report the same way and read the server's answer the same way.
(function (scope) {
  "use strict";

  var STORE = "reports";

  // One database per signed-in user (an opaque key from the server): another person's reports are
  // never listed, and the worker deletes them when someone else signs in.
  function databaseName(key) { return "outbox-" + key; }

  // Only saving a report creates the database: a read or a removal must not bring back one the
  // worker has just deleted (another officer signed in while a Background Sync was reading it).
  function open(key, create) {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(databaseName(key), 1);
      request.onupgradeneeded = function (event) {
        if (!create && event.oldVersion === 0) { request.transaction.abort(); return; }
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = function () {
        var db = request.result;
        // Deleting the outbox (another officer signed in, or signing out) waits until every
        // connection to it is closed: this one closes as soon as that is asked of it.
        db.onversionchange = function () { db.close(); };
        resolve(db);
      };
      request.onerror = function () {
        if (!create && request.error && request.error.name === "AbortError") resolve(null);  // never created
        else reject(request.error);
      };
    });
  }

  function run(key, mode, work, create) {
    return open(key, create).then(function (db) {
      if (!db) return undefined;  // nothing was ever saved under this key
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function all(key) {
    return run(key, "readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }
  function get(key, id) { return run(key, "readonly", function (store) { return store.get(id); }); }
  function put(key, item) { return run(key, "readwrite", function (store) { store.put(item); }, true); }
  function remove(key, id) { return run(key, "readwrite", function (store) { store.delete(id); }); }

  // Resolves once the database is gone, not when the deletion is merely "blocked" by an open
  // connection (each closes on versionchange, see open): only then may the worker take the next
  // officer as current.
  function forget(key) {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(databaseName(key));
      request.onsuccess = request.onerror = function () { resolve(); };
    });
  }

  // The request body, as the form itself would send it; a newer CSRF token wins over the stored one.
  function formData(item, csrfToken) {
    var data = new FormData();
    item.fields.forEach(function (pair) {
      data.append(pair[0], pair[0] === "csrfmiddlewaretoken" && csrfToken ? csrfToken : pair[1]);
    });
    item.files.forEach(function (file) { data.append("evidence", file, file.name); });
    return data;
  }

  // What the server's answer means for a report: {status, url, html, redirect} → one word.
  function outcome(answer) {
    if (!answer || !answer.status) return "offline";
    if (/\/accounts\/(login|two-step)\//.test(answer.url || "")) return "login";
    // Signed out (htmx requests get 401 with HX-Redirect to the login page), or an expired CSRF token.
    if (answer.status === 401 || answer.status === 403) return "login";
    if (answer.status === 404) return "gone";  // no longer this user's to report on
    if (answer.status !== 200) return "server";
    if (answer.redirect) return "sent";  // a resubmission that had gone through already
    if (answer.html.indexOf("data-progress-sent") !== -1) return "sent";
    if (answer.html.indexOf("data-progress-form") !== -1) return "refused";
    return "server";
  }

  // Only one tab or worker sends a given report at a time; the one-time token makes a second send
  // harmless anyway, this only saves the bandwidth.
  function exclusively(id, work) {
    if (!scope.navigator.locks) return work();
    return scope.navigator.locks.request("outbox-" + id, { ifAvailable: true }, function (lock) {
      return lock ? work() : "busy";
    });
  }

  // Send every waiting report, oldest first, with send(item) → Promise<answer>. Stops at the first
  // one the network could not carry; resolves to the list of [item, outcome] pairs.
  function flush(key, send, changed) {
    var done = [];
    return all(key).then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      return waiting.reduce(function (previous, listed) {
        return previous.then(function (stop) {
          if (stop) return true;
          return exclusively(listed.id, function () {
            return get(key, listed.id).then(function (item) {
              if (!item || item.state !== "waiting") return null;
              return send(item).then(function (answer) { return settle(key, item, answer); });
            });
          }).then(function (result) {
            if (result && result !== "busy") {
              done.push(result);
              if (changed) changed(result[0], result[1]);
              return result[1] === "offline" || result[1] === "login" || result[1] === "server";
            }
            return false;
          });
        });
      }, Promise.resolve(false));
    }).then(function () { return done; });
  }

  function settle(key, item, answer) {
    var result = outcome(answer);
    if (result === "sent") return remove(key, item.id).then(function () { return [item, result]; });
    if (result === "refused" || result === "gone") {
      item.state = "refused";
      item.reason = result;
      item.html = result === "refused" ? answer.html : "";
      return put(key, item).then(function () { return [item, result]; });
    }
    return Promise.resolve([item, result]);
  }

  scope.PortalOutbox = {
    all: all, get: get, put: put, remove: remove, forget: forget,
    formData: formData, outcome: outcome, flush: flush, settle: settle, exclusively: exclusively,
  };
})(self);
