/* CreditHub offline stand-in for the CDN scripts GX Data Docs load (jQuery, Bootstrap,
   bootstrap-table, Vega). It implements only what the generated pages call, so they work on a
   machine with no internet: tables are rendered from their inline data, links stay clickable,
   charts show their data as text. */
(function () {
  if (window.__gxOffline) { return; }
  window.__gxOffline = true;
  var ready = [];
  document.addEventListener("DOMContentLoaded", function () { ready.forEach(function (f) { f(); }); ready = null; });
  function onReady(f) { if (ready) { ready.push(f); } else { f(); } }

  function renderTable(el, opts) {
    if (!opts || !opts.columns || !opts.data) { return; }
    var html = "<thead><tr>" + opts.columns.map(function (c) { return "<th>" + (c.title || c.field || "") + "</th>"; }).join("") + "</tr></thead><tbody>";
    opts.data.forEach(function (row, i) {
      var href = row._table_row_link_path ? ' class="clickable-row" data-href="' + row._table_row_link_path + '" style="cursor:pointer"' : "";
      html += "<tr" + href + ">" + opts.columns.map(function (c) { var v = row[c.field]; return "<td>" + (v === undefined || v === null ? "" : v) + "</td>"; }).join("") + "</tr>";
    });
    el.innerHTML = html + "</tbody>";
    el.addEventListener("click", function (ev) {
      var tr = ev.target.closest ? ev.target.closest("tr[data-href]") : null;
      if (tr && !(ev.target.closest && ev.target.closest("a"))) { window.location = tr.getAttribute("data-href"); }
    });
  }

  function Q(nodes) { this.nodes = nodes; this.length = nodes.length; }
  var chain = ["tooltip", "popover", "modal", "collapse", "datepicker", "alert", "tab", "dropdown"];
  chain.forEach(function (m) { Q.prototype[m] = function () { return this; }; });
  Q.prototype.each = function (f) { this.nodes.forEach(function (n, i) { f.call(n, i, n); }); return this; };
  Q.prototype.fadeIn = function () { return this.each(function () { this.style.display = ""; }); };
  Q.prototype.fadeOut = function () { return this.each(function () { this.style.display = "none"; }); };
  Q.prototype.show = Q.prototype.fadeIn;
  Q.prototype.hide = Q.prototype.fadeOut;
  Q.prototype.parent = function () { return new Q(this.nodes.map(function (n) { return n.parentElement; }).filter(Boolean)); };
  Q.prototype.addClass = function (c) { return this.each(function () { this.classList.add(c); }); };
  Q.prototype.removeClass = function (c) { return this.each(function () { this.classList.remove(c); }); };
  Q.prototype.prepend = function (h) { return this.each(function () { this.insertAdjacentHTML("afterbegin", h); }); };
  Q.prototype.append = function (h) { return this.each(function () { this.insertAdjacentHTML("beforeend", h); }); };
  Q.prototype.data = function (k) { return this.nodes[0] ? this.nodes[0].getAttribute("data-" + k) : undefined; };
  Q.prototype.on = function (ev, f) {
    var name = String(ev).split(".")[0];
    return this.each(function () { var n = this; n.addEventListener(name, function (e) { f.call(n, e); }); });
  };
  Q.prototype.ready = function (f) { onReady(f); return this; };
  Q.prototype.bootstrapTable = function (opts) {
    if (typeof opts === "object") { this.each(function () { renderTable(this, opts); }); }
    return this;
  };

  function $(sel) {
    if (typeof sel === "function") { onReady(sel); return new Q([]); }
    if (sel === document || sel === window) { return new Q([sel]); }
    if (sel && sel.nodeType) { return new Q([sel]); }
    try { return new Q(Array.prototype.slice.call(document.querySelectorAll(sel))); } catch (e) { return new Q([]); }
  }
  $.fn = Q.prototype;
  window.$ = window.jQuery = $;
  window.vegaEmbed = function (target, spec) {
    var el = typeof target === "string" ? document.querySelector(target) : target;
    if (el) {
      var pre = document.createElement("pre");
      pre.className = "gx-offline-chart";
      var values = spec && spec.data && spec.data.values ? spec.data.values : spec;
      pre.textContent = JSON.stringify(values, null, 1).slice(0, 4000);
      el.appendChild(pre);
    }
    return Promise.resolve({});
  };
  window.vega = window.vegaLite = {};
})();
