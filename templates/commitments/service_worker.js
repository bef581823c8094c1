{% load static %}// The portal's service worker (issue 20), served at /sw.js by commitments.views.service_worker.
//
// It keeps, for the signed-in officer only, the pages the server marks with X-Offline-Key ("my unit"
// and the progress forms) and the static files they use; nothing else is stored. Pages are always
// asked of the network first: the phone's copy answers only when there is no connection, with a
// notice saying when the copy was made. Reports written offline wait in the outbox (IndexedDB) and
// are sent on Background Sync, or by the page when it is open and online.
"use strict";

importScripts("{% static 'js/outbox-core.js' %}");

var STATIC_PREFIX = "{% get_static_prefix %}";
var STATIC_CACHE = "static-v1";
var PAGES_PREFIX = "pages-";
var META_CACHE = "offline-meta";
var CURRENT_KEY_URL = "/__offline/current-key";
var LOGIN_PATH = "{% url 'accounts:login' %}";

// Set when the page signs out: a page being kept at that moment must not be written after the clearing.
var forgotten = false;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// Whose pages and outbox these are: the key of the last officer the server answered for.
function currentKey() {
  return caches.open(META_CACHE).then(function (cache) { return cache.match(CURRENT_KEY_URL); })
    .then(function (response) { return response ? response.text() : ""; });
}

// Another officer signed in on this phone: the previous one's pages and unsent reports go.
function becomeCurrent(key) {
  return currentKey().then(function (previous) {
    if (previous === key) return;
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(PAGES_PREFIX) === 0 && name !== PAGES_PREFIX + key;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () {
      return previous ? PortalOutbox.forget(previous) : null;
    }).then(function () {
      return caches.open(META_CACHE);
    }).then(function (cache) { return cache.put(CURRENT_KEY_URL, new Response(key)); });
  });
}

function forgetPages() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf(PAGES_PREFIX) === 0; })
      .map(function (name) { return caches.delete(name); }));
  });
}

function pageKey(url) { return new URL(url).origin + new URL(url).pathname; }

// Keep a page only when the server marked it for this officer, as it was served.
function keepIfMarked(url, response) {
  var key = response.headers.get("X-Offline-Key");
  if (forgotten || !key || !response.ok || response.redirected) return Promise.resolve();
  var copy = response.clone();
  return becomeCurrent(key).then(function () { return caches.open(PAGES_PREFIX + key); })
    .then(function (cache) { return forgotten ? null : cache.put(pageKey(url), copy); });
}

function fromPhone(request) {
  return currentKey().then(function (key) {
    if (!key) return null;
    return caches.open(PAGES_PREFIX + key).then(function (cache) {
      // The copy is this user's own (one cache per user): its Vary (Cookie, language) must not hide it.
      return cache.match(pageKey(request.url), { ignoreVary: true });
    });
  }).then(function (kept) {
    if (!kept) return offlineNotice();
    // The copy says when it was made; the notice is in the page, shown only here.
    return kept.text().then(function (html) {
      return new Response(html.replace("data-offline-banner hidden", "data-offline-banner"), {
        status: 200, headers: kept.headers,
      });
    });
  });
}

function offlineNotice() {
  var html = '<!doctype html><html lang="vi"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>{{ offline_title|escapejs }}</title><link rel=\"stylesheet\" href=\"{% static 'css/portal.css' %}\">" +
    "<body><main class=\"page\"><h1>{{ offline_title|escapejs }}</h1><p>{{ offline_text|escapejs }}</p>" +
    "<p><a class=\"button button--primary\" href=\"{% url 'commitments:my_unit' %}\">{{ my_unit|escapejs }}</a></p></main></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      // Any sign-in page (the form, a one-time link from an e-mail): whoever signs in next may be
      // someone else, who must not be shown the pages kept for the one before.
      var kept = url.pathname.indexOf(LOGIN_PATH) === 0 ? forgetPages() : keepIfMarked(request.url, response);
      event.waitUntil(kept.catch(function () {}));
      return response;
    }, function () { return fromPhone(request); }));
    return;
  }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    // Static files: the phone's copy at once, refreshed behind it (names carry a hash in production).
    event.respondWith(caches.open(STATIC_CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok && hit) event.waitUntil(cache.put(request, response.clone()));
          return response;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
  }
});

// A page of the officer asks to keep itself, the progress forms it links to and its static files.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    // Signing out: this user's pages and outbox go now (the server's Clear-Site-Data follows).
    forgotten = true;
    event.waitUntil(currentKey().then(function (key) {
      return Promise.all([forgetPages(), caches.delete(META_CACHE), key ? PortalOutbox.forget(key) : null]);
    }).then(function () {
      if (event.ports[0]) event.ports[0].postMessage("forgotten");
    }));
    return;
  }
  if (data.type !== "keep") return;
  var pages = (data.pages || []).map(function (path) { return new URL(path, self.location.origin).href; });
  var assets = (data.assets || []).filter(function (path) { return path.indexOf(STATIC_PREFIX) === 0; });
  event.waitUntil(Promise.all([
    caches.open(STATIC_CACHE).then(function (cache) {
      return Promise.all(assets.map(function (path) {
        return cache.match(path).then(function (hit) { return hit || cache.add(path); }).catch(function () {});
      }));
    }),
    Promise.all(pages.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        return keepIfMarked(url, response);
      }).catch(function () {});
    })),
  ]));
});

// Background Sync: the connection is back, send what waits, even with the portal's pages closed.
function sendFromWorker(item) {
  return fetch(item.action, {
    method: "POST", body: PortalOutbox.formData(item), headers: { "HX-Request": "true" }, credentials: "same-origin",
  }).then(function (response) {
    return response.text().then(function (html) {
      return { status: response.status, url: response.url, html: html, redirect: response.headers.get("HX-Redirect") };
    });
  }, function () { return { status: 0 }; });
}

function tellPages(message) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage(message); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") return;
  event.waitUntil(currentKey().then(function (key) {
    if (!key) return null;
    return PortalOutbox.flush(key, sendFromWorker, function (item, result) {
      tellPages({ type: "outbox-changed", sent: result === "sent" ? item.title : "" });
    }).then(function (done) {
      // Still offline (or signed out): let the browser try again later.
      if (done.some(function (pair) { return pair[1] === "offline"; })) throw new Error("offline");
    });
  }));
});
