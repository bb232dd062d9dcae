// vmscan report: VM table (search, filter, sort, paging) and per-VM details, rendered from the
// JSON data island. All data goes into the page through textContent, never innerHTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vm-data").textContent);
  var rows = data.rows, details = data.details, rules = data.rules, labels = data.labels, targets = data.targets;
  var C = { id: 0, name: 1, vcenter: 2, cluster: 3, host: 4, power: 5, os: 6, cpu: 7, mem: 8, disk: 9,
            readiness: 10, method: 11, disposition: 12, rules: 13, template: 14, unknown: 15, notInSource: 16 };
  var READINESS_RANK = { not_ready: 0, unknown: 1, ready_with_conditions: 2, ready: 3 };
  var hay = new Array(rows.length);
  for (var i = 0; i < rows.length; i++) {
    var r = rows[i];
    hay[i] = [r[C.name], r[C.vcenter], r[C.cluster], r[C.host], r[C.os], r[C.id], r[C.power]].join("\u0001").toLowerCase();
  }
  var state = { q: "", target: 0, readiness: "", disposition: "", rule: -1, sortCol: null, sortDir: 1, page: 0, size: 100 };
  var view = [];
  var $ = function (id) { return document.getElementById(id); };
  var tbody = $("vm-rows");

  function label(key) { return key == null ? "—" : (labels[key] || key); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }
  // Table cells use short words (the column header says "Power" / "HCX method"); the detail view
  // and the filters keep the full labels.
  var POWER_SHORT = { powered_on: "On", powered_off: "Off", suspended: "Suspended" };
  function methodShort(m) { return m ? label(m).replace(/^HCX /, "") : label("none"); }
  function fmt(n) { return n == null ? "—" : Number(n).toLocaleString("en-US"); }

  function sortKey(col) {
    var t = state.target;
    if (col === "m") return function (r) { return r[C.method][t] || "~"; };
    if (col.charAt(0) === "r") {
      var ti = Number(col.slice(1));
      return function (r) { var v = READINESS_RANK[r[C.readiness][ti]]; return v == null ? 9 : v; };
    }
    var c = Number(col);
    if (c === C.rules) return function (r) { return r[C.rules].length; };
    return function (r) { var v = r[c]; return typeof v === "string" ? v.toLowerCase() : v; };
  }

  function applyFilters() {
    var q = state.q, t = state.target, rd = state.readiness, dp = state.disposition, rule = state.rule;
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (rd && r[C.readiness][t] !== rd) continue;
      if (dp && r[C.disposition] !== dp) continue;
      if (rule >= 0 && r[C.rules].indexOf(rule) < 0 && r[C.unknown].indexOf(rule) < 0 &&
          r[C.notInSource].indexOf(rule) < 0) continue;
      if (q && hay[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    if (state.sortCol !== null) {
      var key = sortKey(state.sortCol), dir = state.sortDir;
      var keys = new Map();
      out.forEach(function (idx) { keys.set(idx, key(rows[idx])); });
      out.sort(function (a, b) {
        var ka = keys.get(a), kb = keys.get(b);
        if (ka == null && kb == null) return a - b;
        if (ka == null) return 1;
        if (kb == null) return -1;
        return (ka < kb ? -1 : ka > kb ? 1 : a - b) * dir;
      });
    }
    view = out;
  }

  // Readiness reasons of VM idx for target t, as text (details[idx][4] holds indexes into data.reasons).
  function reasonTexts(idx, t) {
    var d = details[idx], ids = d && d[4] ? d[4][t] || [] : [];
    return ids.map(function (k) { return data.reasons[k]; });
  }

  function badge(prefix, value) { return el("span", "badge " + prefix + (value || "unknown"), label(value)); }

  function renderRows() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * state.size, end = Math.min(view.length, start + state.size);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var idx = view[k], r = rows[idx];
      var tr = el("tr");
      tr.dataset.index = String(idx);
      tr.tabIndex = 0;
      var name = el("td", "name", r[C.name] == null ? "(unnamed)" : r[C.name]);
      name.title = r[C.name] || "";
      tr.appendChild(name);
      tr.appendChild(el("td", "where", r[C.vcenter] || "—"));
      tr.appendChild(el("td", "where", r[C.cluster] || "—"));
      tr.appendChild(el("td", null, r[C.template] ? "Template" : (POWER_SHORT[r[C.power]] || label(r[C.power]))));
      var os = el("td", "os", r[C.os] || "—");
      os.title = r[C.os] || "";
      tr.appendChild(os);
      tr.appendChild(el("td", "num", fmt(r[C.cpu])));
      tr.appendChild(el("td", "num", fmt(r[C.mem])));
      tr.appendChild(el("td", "num", fmt(r[C.disk])));
      for (var t = 0; t < targets.length; t++) {
        var td = el("td");
        var rb = badge("r-", r[C.readiness][t]);
        var why = reasonTexts(idx, t);
        if (why.length) { rb.title = why.join("\n"); td.className = "has-reasons"; }
        td.appendChild(rb);
        tr.appendChild(td);
      }
      tr.appendChild(el("td", null, methodShort(r[C.method][state.target])));
      var dtd = el("td");
      dtd.appendChild(badge("d-", r[C.disposition]));
      tr.appendChild(dtd);
      // Found rules, as the workbook's Findings column; rules not evaluated (data missing) apart.
      var ftd = el("td", "num");
      ftd.appendChild(el("span", "found", r[C.rules].length));
      if (r[C.unknown].length) {
        ftd.appendChild(el("span", "muted small", " +" + r[C.unknown].length + " unknown"));
        ftd.title = r[C.rules].length + " found; " + r[C.unknown].length + " not evaluated (data missing)";
      }
      tr.appendChild(ftd);
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    var filtered = view.length !== rows.length ? " (filtered from " + fmt(rows.length) + ")" : "";
    var counter = $("vm-count");
    counter.textContent = fmt(view.length) + " VMs" + filtered + (view.length ? "; showing " + fmt(start + 1) + "–" + fmt(end) : "");
    counter.dataset.count = String(view.length);
    $("p-info").textContent = "Page " + (state.page + 1) + " of " + pages;
    $("p-prev").disabled = state.page === 0;
    $("p-next").disabled = state.page >= pages - 1;
  }

  function update() {
    var t0 = performance.now();
    applyFilters();
    renderRows();
    window.vmscanLastUpdateMs = performance.now() - t0;
  }

  function bind(id, event, fn) { $(id).addEventListener(event, fn); }
  bind("q", "input", function (e) { state.q = e.target.value.trim().toLowerCase(); state.page = 0; update(); });
  bind("f-target", "change", function (e) { state.target = Number(e.target.value); state.page = 0; update(); });
  bind("f-readiness", "change", function (e) { state.readiness = e.target.value; state.page = 0; update(); });
  bind("f-disposition", "change", function (e) { state.disposition = e.target.value; state.page = 0; update(); });
  bind("f-rule", "change", function (e) { state.rule = e.target.value === "" ? -1 : Number(e.target.value); state.page = 0; update(); });
  bind("p-size", "change", function (e) { state.size = Number(e.target.value); state.page = 0; update(); });
  bind("p-prev", "click", function () { state.page = Math.max(0, state.page - 1); renderRows(); });
  bind("p-next", "click", function () { state.page += 1; renderRows(); });
  bind("f-reset", "click", function () {
    ["q", "f-readiness", "f-disposition", "f-rule"].forEach(function (id) { $(id).value = ""; });
    $("f-target").value = "0";
    state.q = ""; state.readiness = ""; state.disposition = ""; state.rule = -1; state.target = 0; state.page = 0;
    update();
  });
  document.querySelectorAll("#vm-table thead th").forEach(function (th) {
    th.addEventListener("click", function () {
      var col = th.dataset.col;
      if (state.sortCol === col) state.sortDir = -state.sortDir; else { state.sortCol = col; state.sortDir = 1; }
      document.querySelectorAll("#vm-table thead th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
      th.classList.add(state.sortDir > 0 ? "sorted-asc" : "sorted-desc");
      update();
    });
  });

  function link(url) {
    if (/^https?:\/\//i.test(url)) {
      var a = el("a", null, url);
      a.href = url; a.rel = "noopener noreferrer"; a.target = "_blank";
      return a;
    }
    return el("span", null, url);
  }

  // A finding's targets (indexes into meta.targets) as text: "AVS, VMC".
  function targetText(f) {
    return [].concat(f[1]).map(function (t) { return label(typeof t === "number" ? targets[t] : t); }).join(", ");
  }

  function findingBox(f) {
    var rule = typeof f[0] === "number" ? rules[f[0]] : { id: String(f[0]), title: String(f[0]), remediation: "", references: [] };
    var box = el("div", "finding sev-" + f[2]);
    var title = el("div");
    title.appendChild(badge("s-", f[3] === "unknown" ? "unknown" : f[2]));
    title.appendChild(document.createTextNode(" "));
    title.appendChild(el("b", null, rule.title));
    title.appendChild(el("span", "muted", " · " + rule.id + " · " + targetText(f)
      + (f[3] === "unknown" ? " · data missing" : "")));
    box.appendChild(title);
    box.appendChild(el("div", null, f[4]));
    var effects = Object.keys(f[7] || {}).map(function (m) { return label(m) + ": " + f[7][m]; });
    if (effects.length) box.appendChild(el("div", "small muted", "Methods: " + effects.join(", ")));
    if (f[5] && Object.keys(f[5]).length) box.appendChild(el("pre", "evidence", JSON.stringify(f[5], null, 2)));
    var rem = el("div", "small");
    rem.appendChild(el("b", null, "Remediation: "));
    rem.appendChild(document.createTextNode(f[6] != null ? f[6] : rule.remediation));
    box.appendChild(rem);
    (rule.references || []).forEach(function (u) {
      var ref = el("div", "small"); ref.appendChild(link(u)); box.appendChild(ref);
    });
    return box;
  }

  function showDetail(idx) {
    var r = rows[idx], d = details[idx];
    var body = $("d-body");
    body.replaceChildren();
    $("d-title").textContent = r[C.name] == null ? "(unnamed)" : r[C.name];
    var facts = el("dl", "facts");
    [["vCenter", r[C.vcenter]], ["Cluster", r[C.cluster]], ["Power state", label(r[C.power])]].concat(d[3]).forEach(function (f) {
      if (f[1] == null) return;
      facts.appendChild(el("dt", null, f[0]));
      facts.appendChild(el("dd", f[0] === "Annotation" ? "annotation" : null, f[1]));
    });
    body.appendChild(facts);
    body.appendChild(el("h3", null, "Readiness and HCX methods"));
    var table = el("table", "compact");
    var head = el("tr");
    head.appendChild(el("th", null, "Target"));
    head.appendChild(el("th", null, "Readiness"));
    data.methods.forEach(function (m) { head.appendChild(el("th", null, label(m))); });
    head.appendChild(el("th", null, "Recommended"));
    table.appendChild(head);
    targets.forEach(function (t, ti) {
      var tr = el("tr");
      tr.appendChild(el("td", null, label(t)));
      var rt = el("td"); rt.appendChild(badge("r-", r[C.readiness][ti])); tr.appendChild(rt);
      data.methods.forEach(function (m) {
        var td = el("td"); td.appendChild(badge("e-", (d[0][t] || {})[m])); tr.appendChild(td);
      });
      tr.appendChild(el("td", null, label(r[C.method][ti] || "none")));
      table.appendChild(tr);
    });
    body.appendChild(table);
    targets.forEach(function (t, ti) {
      var why = reasonTexts(idx, ti);
      if (!why.length) return;
      var box = el("div", "reasons");
      box.appendChild(el("h4", null, "Why " + label(r[C.readiness][ti]).toLowerCase() + " – " + label(t)));
      var list = el("ul", "reason-list");
      why.forEach(function (text) { list.appendChild(el("li", null, text)); });
      box.appendChild(list);
      body.appendChild(box);
    });
    var site = (d[5] || []).map(function (k) { return data.siteTasks[k]; });
    if (site.length) {
      var sbox = el("div", "reasons");
      sbox.appendChild(el("h4", null, "Site tasks before it moves (readiness above is as after them)"));
      var slist = el("ul", "reason-list site-tasks");
      site.forEach(function (text) { slist.appendChild(el("li", null, text)); });
      sbox.appendChild(slist);
      body.appendChild(sbox);
    }
    var disp = el("p");
    disp.appendChild(el("b", null, "Disposition: "));
    disp.appendChild(badge("d-", r[C.disposition]));
    if (d[1].length) disp.appendChild(el("span", "muted", " " + d[1].join("; ")));
    body.appendChild(disp);
    // The three outcomes apart: found (counted by rule, as the table's Findings column), not
    // evaluated for missing data, and not in this source (the input format never carries it).
    var groups = { fail: [], unknown: [], not_in_source: [] };
    // The VM's own results and those of every VM of its vCenter (sent once), in the rules' order.
    var wide = (data.vcenterFindings || {})[r[C.vcenter]] || [];
    var rank = function (f) { return typeof f[0] === "number" ? f[0] : rules.length; };
    d[2].concat(wide).map(function (f, at) { return [rank(f), at, f]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
      .forEach(function (item) { var f = item[2]; (groups[f[3]] || groups.unknown).push(f); });
    function ruleCount(list) {
      var ids = {};
      list.forEach(function (f) { ids[String(f[0])] = true; });
      return Object.keys(ids).length;
    }
    function heading(text, list) {
      var n = ruleCount(list), results = 0;
      list.forEach(function (f) { results += [].concat(f[1]).length; });
      return text + " (" + n + (n === 1 ? " rule" : " rules") +
        (results !== n ? ", " + results + " target results" : "") + ")";
    }
    body.appendChild(el("h3", "findings-found", heading("Findings", groups.fail)));
    if (!groups.fail.length) body.appendChild(el("p", "good", "No findings."));
    groups.fail.forEach(function (f) { body.appendChild(findingBox(f)); });
    if (groups.unknown.length) {
      body.appendChild(el("h3", "findings-unknown", heading("Not evaluated: data missing from the input", groups.unknown)));
      groups.unknown.forEach(function (f) { body.appendChild(findingBox(f)); });
    }
    if (groups.not_in_source.length) {
      body.appendChild(el("h3", "findings-not-in-source", heading("Not in this source", groups.not_in_source)));
      body.appendChild(el("p", "small muted", "The input format never carries this data" +
        (data.sourceGaps === "note" ? ": it changes no readiness (policy unavailable_in_source_as = \"note\")" :
          ": counted in readiness as " + data.sourceGaps + " (policy unavailable_in_source_as)") +
        ". Collect live or verify in vCenter (see Data coverage)."));
      var list = el("ul", "reason-list");
      groups.not_in_source.forEach(function (f) {
        var rule = typeof f[0] === "number" ? rules[f[0]] : { id: String(f[0]) };
        list.appendChild(el("li", null, rule.id + " · " + targetText(f) + ": " + f[4]));
      });
      body.appendChild(list);
    }
    var dialog = $("vm-detail");
    if (!dialog.open) dialog.showModal();
  }
  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (tr) showDetail(Number(tr.dataset.index));
  });
  tbody.addEventListener("keydown", function (e) {
    var tr = e.target.closest("tr");
    if (tr && e.key === "Enter") showDetail(Number(tr.dataset.index));
  });
  bind("d-close", "click", function () { $("vm-detail").close(); });
  update();
})();
