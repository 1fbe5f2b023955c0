/// The `/docs` page: plain HTML and a small script that fetches `/openapi.json` from this server and renders
/// every operation by tag, with its parameters, request body and responses (schemas expanded from `$ref`s).
enum APIDocsPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Keel API reference</title>
    <style>
    body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
    header { background: #1d2330; color: #fff; padding: 14px 24px; display: flex; gap: 16px; align-items: center; }
    header h1 { font-size: 18px; margin: 0; }
    header input { flex: 1; max-width: 420px; padding: 6px 10px; border-radius: 4px; border: 0; }
    main { padding: 16px 24px; max-width: 1100px; }
    h2 { text-transform: capitalize; border-bottom: 1px solid #ccd; padding-bottom: 4px; }
    details.op { background: #fff; border: 1px solid #dde; border-radius: 6px; margin: 6px 0; }
    details.op > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 10px; align-items: baseline; }
    .method { font: bold 12px monospace; padding: 2px 6px; border-radius: 3px; color: #fff; min-width: 52px; text-align: center; }
    .GET { background: #2f6fdb; } .POST { background: #1f9d55; } .PUT { background: #b7791f; }
    .PATCH { background: #805ad5; } .DELETE { background: #c53030; }
    .path { font-family: monospace; font-size: 14px; }
    .lock { color: #a0530b; font-size: 12px; }
    .body { padding: 4px 16px 12px; }
    table { border-collapse: collapse; font-size: 13px; }
    td, th { border: 1px solid #dde; padding: 3px 8px; text-align: left; vertical-align: top; }
    pre { background: #f0f2f5; padding: 8px; overflow-x: auto; font-size: 12px; }
    .muted { color: #667; }
    </style>
    </head>
    <body>
    <header><h1>Keel API</h1><input id="filter" placeholder="filter by path or summary"><span id="version" class="muted"></span></header>
    <main id="content"><p>Loading /openapi.json…</p></main>
    <script>
    "use strict";
    let spec = null;
    const esc = (text) => String(text ?? "").replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]));
    function resolve(schema) {
      if (schema && schema.$ref) { return spec.components.schemas[schema.$ref.split("/").pop()] || {}; }
      return schema || {};
    }
    function typeName(schema) {
      if (!schema) { return "any"; }
      if (schema.$ref) { return schema.$ref.split("/").pop(); }
      if (schema.anyOf) { return schema.anyOf.map(typeName).join(" | "); }
      if (schema.enum) { return schema.enum.map((v) => JSON.stringify(v)).join(" | "); }
      const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type || "any");
      if (type.startsWith("array")) { return "[" + typeName(schema.items) + "]"; }
      return schema.format ? type + " (" + schema.format + ")" : type;
    }
    function schemaTable(schema, seen = new Set()) {
      const name = schema && schema.$ref ? schema.$ref.split("/").pop() : null;
      const resolved = resolve(schema);
      if (resolved.type === "array" || (Array.isArray(resolved.type) && resolved.type.includes("array"))) {
        return "<div class=\"muted\">array of " + esc(typeName(resolved.items)) + "</div>" + schemaTable(resolved.items, seen);
      }
      if (!resolved.properties) { return "<div class=\"muted\">" + esc(typeName(schema)) + "</div>"; }
      if (name && seen.has(name)) { return "<div class=\"muted\">" + esc(name) + " (see above)</div>"; }
      if (name) { seen.add(name); }
      const required = new Set(resolved.required || []);
      let rows = "";
      for (const [key, value] of Object.entries(resolved.properties)) {
        const nested = resolve(value.anyOf ? value.anyOf.find((s) => s.$ref) || value : value);
        const inner = nested.properties || nested.items ? "<details><summary>fields</summary>" + schemaTable(value.anyOf ? value.anyOf.find((s) => s.$ref) : value, seen) + "</details>" : "";
        rows += "<tr><td><code>" + esc(key) + "</code>" + (required.has(key) ? " *" : "") + "</td><td>" + esc(typeName(value)) + inner + "</td></tr>";
      }
      return (name ? "<div class=\"muted\">" + esc(name) + "</div>" : "") + "<table><tr><th>field</th><th>type</th></tr>" + rows + "</table>";
    }
    function operationHTML(method, path, op) {
      let html = "<details class=\"op\" data-search=\"" + esc((path + " " + (op.summary || "")).toLowerCase()) + "\"><summary>" +
        "<span class=\"method " + method.toUpperCase() + "\">" + method.toUpperCase() + "</span><span class=\"path\">" + esc(path) + "</span>" +
        "<span>" + esc(op.summary) + "</span>" + (op.security && op.security.length ? "<span class=\"lock\">bearer token</span>" : "") + "</summary><div class=\"body\">";
      if (op.description) { html += "<p>" + esc(op.description) + "</p>"; }
      if (op.parameters && op.parameters.length) {
        html += "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>about</th></tr>";
        for (const p of op.parameters) {
          html += "<tr><td><code>" + esc(p.name) + "</code>" + (p.required ? " *" : "") + "</td><td>" + esc(p.in) + "</td><td>" + esc(typeName(p.schema)) + "</td><td>" + esc(p.description) + "</td></tr>";
        }
        html += "</table>";
      }
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body) {
        html += "<h4>Request body</h4>" + schemaTable(body.schema);
        if (body.example !== undefined) { html += "<pre>" + esc(JSON.stringify(body.example, null, 2)) + "</pre>"; }
      }
      html += "<h4>Responses</h4>";
      for (const [status, response] of Object.entries(op.responses || {})) {
        const content = response.content || {};
        const type = Object.keys(content)[0];
        html += "<div><b>" + esc(status) + "</b> " + esc(response.description) + (type ? " <span class=\"muted\">" + esc(type) + "</span>" : "") + "</div>";
        if (type === "application/json" && !status.endsWith("XX")) { html += schemaTable(content[type].schema); }
      }
      return html + "</div></details>";
    }
    function render() {
      const filter = document.getElementById("filter").value.trim().toLowerCase();
      const byTag = {};
      for (const [path, item] of Object.entries(spec.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (typeof op !== "object" || !op.responses) { continue; }
          const text = (path + " " + (op.summary || "")).toLowerCase();
          if (filter && !text.includes(filter)) { continue; }
          const tag = (op.tags && op.tags[0]) || "other";
          (byTag[tag] = byTag[tag] || []).push(operationHTML(method, path, op));
        }
      }
      let html = "<p class=\"muted\">" + esc(spec.info.description) + "</p>";
      for (const tag of Object.keys(byTag).sort()) { html += "<h2>" + esc(tag) + "</h2>" + byTag[tag].join(""); }
      document.getElementById("content").innerHTML = html;
    }
    fetch("/openapi.json").then((r) => r.json()).then((document_) => {
      spec = document_;
      document.getElementById("version").textContent = "OpenAPI " + spec.openapi + " · v" + spec.info.version;
      render();
    }).catch((error) => { document.getElementById("content").textContent = "Could not load /openapi.json: " + error; });
    document.getElementById("filter").addEventListener("input", render);
    </script>
    </body>
    </html>
    """#
}
