// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// slimzip's report page: draws the embedded data. Names only ever reach the page as text
// (textContent, title), never as markup.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("slimzip-data").textContent);
  var MAX_CELLS = 4000; // more would make the page slow; the rest is summed per directory

  function $(id) { return document.getElementById(id); }
  function text(id, s) { $(id).textContent = s; }
  function human(n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + " " + u[i];
  }

  var kept = { files: 0, bytes: 0 }, dropped = { files: 0, bytes: 0 };
  data.files.forEach(function (f) {
    var t = f[2] === 0 ? kept : dropped;
    t.files++;
    t.bytes += f[1];
  });
  var labels = data.source === "profile" ? ["used", "not used"] : ["kept", "dropped"];
  document.title = "slimzip report" + (data.tree ? ": " + data.tree : "");
  text("title", data.source === "profile" ? "slimzip: what the profile used" :
       data.source === "prune" ? "slimzip: what prune kept" : "slimzip: what verify found");
  text("subtitle", [data.tree, data.title].filter(Boolean).join(" \u2014 "));
  text("kept-human", human(kept.bytes));
  text("kept-bytes", String(kept.bytes));
  $("kept-bytes").dataset.bytes = kept.bytes;
  text("kept-files", String(kept.files));
  text("dropped-human", human(dropped.bytes));
  text("dropped-bytes", String(dropped.bytes));
  $("dropped-bytes").dataset.bytes = dropped.bytes;
  text("dropped-files", String(dropped.files));
  document.querySelectorAll(".card")[0].firstChild.nextSibling.textContent = labels[0] + " ";
  document.querySelectorAll(".card")[1].firstChild.nextSibling.textContent = labels[1] + " ";
  text("zip-human", data.zip_bytes === null ? "none" : human(data.zip_bytes));
  text("zip-bytes", data.zip_bytes === null ? "" : data.zip_bytes + " bytes");

  function bar(id, pctId, value, limit) {
    var pct = value === null ? 0 : value / limit * 100;
    $(id).firstChild.style.width = Math.min(pct, 100) + "%";
    if (pct > 100) $(id).classList.add("over");
    text(pctId, value === null ? "no zip" : human(value) + " of " + human(limit) +
         " (" + pct.toFixed(1) + "%)");
  }
  text("limit-zipped", human(data.limits.zipped_bytes));
  text("limit-unzipped", human(data.limits.unzipped_bytes));
  bar("bar-zipped", "zipped-pct", data.zip_bytes, data.limits.zipped_bytes);
  bar("bar-unzipped", "unzipped-pct", kept.bytes, data.limits.unzipped_bytes);

  // Packages, largest first.
  var tbody = $("packages").tBodies[0];
  data.packages.slice().sort(function (a, b) {
    return (b.kept_bytes + b.dropped_bytes) - (a.kept_bytes + a.dropped_bytes) ||
      (a.package < b.package ? -1 : 1);
  }).forEach(function (p) {
    var tr = tbody.insertRow();
    [p.package, p.kind, p.kept_files, p.kept_bytes, p.dropped_files, p.dropped_bytes]
      .forEach(function (v, i) {
        var td = tr.insertCell();
        td.textContent = String(v);
        if (i === 1) td.className = "kind";
      });
    tr.className = "package";
    tr.dataset.package = p.package;
  });

  // verify: the missing files by package.
  if (data.missing.length || data.verify) {
    $("missing-section").hidden = false;
    text("verdict", data.verdict ? "verdict: " + data.verdict : "");
    data.missing.forEach(function (g) {
      var div = document.createElement("div"), ul = document.createElement("ul");
      div.className = "group";
      div.dataset.package = g.package;
      div.textContent = "round " + g.round + ": " + g.package + " (" + g.kind +
        (g.where ? ", in " + g.where : "") + "): " + g.files.length + " missing";
      g.files.forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = f;
        ul.appendChild(li);
      });
      div.appendChild(ul);
      $("missing").appendChild(div);
    });
  }

  // The tree of directories, sized by bytes.
  function node(name) { return { name: name, size: 0, kids: {}, leaf: null }; }
  var root = node("");
  data.files.forEach(function (f) {
    var parts = f[0].split("/").filter(function (s) { return s.length; }), n = root;
    if (!f[1]) return;
    n.size += f[1];
    for (var i = 0; i < parts.length; i++) {
      var k = parts[i];
      if (!n.kids[k]) n.kids[k] = node(k);
      n = n.kids[k];
      n.size += f[1];
    }
    n.leaf = f;
  });
  var cells = 0;

  // Squarified layout (Bruls, Huizing, van Wijk 2000): rows along the shorter side.
  function worst(row, side, scale) {
    var s = 0, mx = 0, mn = Infinity;
    row.forEach(function (c) { var a = c.size * scale; s += a; mx = Math.max(mx, a); mn = Math.min(mn, a); });
    return Math.max(side * side * mx / (s * s), (s * s) / (side * side * mn));
  }
  function squarify(kids, x, y, w, h, out) {
    var total = kids.reduce(function (a, c) { return a + c.size; }, 0);
    if (!total || w <= 0 || h <= 0) return;
    var scale = w * h / total, row = [], i = 0;
    while (i < kids.length) {
      var side = Math.min(w, h), c = kids[i];
      if (!row.length || worst(row.concat([c]), side, scale) <= worst(row, side, scale)) {
        row.push(c);
        i++;
        continue;
      }
      var r = layoutRow(row, x, y, w, h, scale, out);
      x = r[0]; y = r[1]; w = r[2]; h = r[3];
      row = [];
    }
    if (row.length) layoutRow(row, x, y, w, h, scale, out);
  }
  function layoutRow(row, x, y, w, h, scale, out) {
    var area = row.reduce(function (a, c) { return a + c.size * scale; }, 0);
    if (w >= h) { // a column on the left
      var cw = area / h, cy = y;
      row.forEach(function (c) { var ch = c.size * scale / cw; out.push([c, x, cy, cw, ch]); cy += ch; });
      return [x + cw, y, w - cw, h];
    }
    var rh = area / w, cx = x;
    row.forEach(function (c) { var cw2 = c.size * scale / rh; out.push([c, cx, y, cw2, rh]); cx += cw2; });
    return [x, y + rh, w, h - rh];
  }
  var map = $("treemap"), tip = $("tip");
  function describe(f) {
    return f[0] + "\n" + human(f[1]) + " (" + f[1] + " bytes), " +
      (f[2] === 0 ? labels[0] : labels[1]) + (f[3] ? ": " + f[3] : "");
  }
  function draw(n, x, y, w, h, path, depth) {
    var kids = Object.keys(n.kids).map(function (k) { return n.kids[k]; })
      .sort(function (a, b) { return b.size - a.size; });
    if (n.leaf && !kids.length) {
      if (cells >= MAX_CELLS || w < 1 || h < 1) return;
      cells++;
      var d = document.createElement("div");
      d.className = "cell " + (n.leaf[2] === 0 ? "kept" : "dropped");
      d.style.left = x + "px"; d.style.top = y + "px";
      d.style.width = w + "px"; d.style.height = h + "px";
      d.title = describe(n.leaf);
      d.dataset.path = n.leaf[0];
      if (w > 40 && h > 14) d.textContent = n.name;
      map.appendChild(d);
      return;
    }
    if (depth > 0 && w > 2 && h > 2) {
      var b = document.createElement("div"), s = document.createElement("span");
      b.className = "dir";
      b.style.left = x + "px"; b.style.top = y + "px";
      b.style.width = w + "px"; b.style.height = h + "px";
      if (w > 60 && h > 30) { s.textContent = n.name; b.appendChild(s); }
      map.appendChild(b);
    }
    var pad = depth > 0 && w > 20 && h > 30 ? 14 : 0, out = [];
    squarify(kids, x + (pad ? 1 : 0), y + pad, w - (pad ? 2 : 0), h - pad - (pad ? 1 : 0), out);
    out.forEach(function (o) { draw(o[0], o[1], o[2], o[3], o[4], path + "/" + o[0].name, depth + 1); });
  }
  draw(root, 0, 0, map.clientWidth, map.clientHeight, "", 0);
  map.dataset.cells = cells;
  map.addEventListener("mousemove", function (ev) {
    var t = ev.target;
    if (!t.classList.contains("cell")) { tip.style.display = "none"; return; }
    tip.textContent = t.title;
    tip.style.display = "block";
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 320) + "px";
    tip.style.top = (ev.clientY + 12) + "px";
  });
  map.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  document.body.dataset.rendered = "yes";
})();
