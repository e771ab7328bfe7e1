// Injected by html_browser_test.cpp into a copy of an HTML report: measures,
// in the page as Chromium laid it out, that every label of every sequence
// diagram fits its box and is drawn whole, that every lifeline has something
// drawn on it, and that the legend and the time axis are there. Writes the
// findings as JSON into <pre id="sigtrust-measure">.
(function () {
  const out = { diagrams: 0, texts: 0, boxes: 0, arrows: 0, problems: [], legend: [], lifelines: [], axis: 0 };
  const tol = 0.5;
  const box = (el) => { const b = el.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
  const inside = (a, b) => a.x >= b.x - tol && a.y >= b.y - tol && a.x + a.w <= b.x + b.w + tol &&
                           a.y + a.h <= b.y + b.h + tol;
  const squash = (s) => s.replace(/\s+/g, "");
  const shown = (t) => t.textContent.slice(0, 80);
  for (const svg of document.querySelectorAll("svg.sequence")) {
    out.diagrams++;
    const vb = svg.viewBox.baseVal;
    const whole = { x: 0, y: 0, w: vb.width, h: vb.height };
    for (const t of svg.querySelectorAll("text")) {
      out.texts++;
      if (!inside(box(t), whole)) out.problems.push("outside the diagram: " + shown(t));
    }
    const lanes = new Map();
    for (const g of svg.querySelectorAll("g.lifeline")) {
      const r = g.querySelector(":scope > rect"), t = g.querySelector(":scope > text");
      out.boxes++;
      if (!inside(box(t), box(r))) out.problems.push("lifeline name overflows its box: " + shown(t));
      const title = g.querySelector(":scope > title");
      if (!title || squash(title.textContent) !== squash(t.textContent))
        out.problems.push("lifeline name not drawn whole: " + shown(t));
      const x = Math.round(+g.querySelector(":scope > line").getAttribute("x1"));
      lanes.set(x, { name: title ? title.textContent : t.textContent, steps: 0 });
    }
    for (const g of svg.querySelectorAll("g.step")) {
      const t = g.querySelector(":scope > text:not(.time)");
      const title = g.querySelector(":scope > title");
      if (!t || !title) continue;
      const label = title.textContent.replace(/^[0-9.]+ ms: /, "");
      const drawn = [...t.querySelectorAll("tspan")].map((s) => s.textContent).join(" ");
      if (squash(label) !== squash(drawn)) out.problems.push("label cut: '" + label.slice(0, 80) + "' drawn as '" + drawn.slice(0, 80) + "'");
      const r = g.querySelector(":scope > rect"), l = g.querySelector(":scope > line");
      if (r) {
        out.boxes++;
        if (!inside(box(t), box(r))) out.problems.push("note overflows its box: " + shown(t));
        const x = Math.round(+r.getAttribute("x") + +r.getAttribute("width") / 2);
        if (lanes.has(x)) lanes.get(x).steps++;
      } else if (l && !g.classList.contains("round")) {
        out.arrows++;
        const x1 = +l.getAttribute("x1"), x2 = +l.getAttribute("x2"), b = box(t);
        if (b.x < Math.min(x1, x2) - tol || b.x + b.w > Math.max(x1, x2) + tol)
          out.problems.push("arrow label wider than its arrow: " + shown(t));
        for (const x of [x1, x2]) if (lanes.has(Math.round(x))) lanes.get(Math.round(x)).steps++;
      }
    }
    for (const [, v] of lanes) out.lifelines.push(v);
    for (const t of svg.querySelectorAll("text.time")) if (t.textContent.trim()) out.axis++;
    const legend = svg.querySelector("g.legend");
    if (legend) {
      for (const item of legend.querySelectorAll("g.legend-item")) {
        const t = item.querySelector("text");
        out.legend.push(t.textContent);
        if (!inside(box(t), whole)) out.problems.push("legend item outside the diagram: " + shown(t));
      }
      const items = [...legend.querySelectorAll("g.legend-item text")].map(box);
      for (let i = 1; i < items.length; i++)
        if (items[i].x < items[i - 1].x + items[i - 1].w - tol) out.problems.push("legend items overlap at item " + i);
    }
  }
  const pre = document.createElement("pre");
  pre.id = "sigtrust-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
