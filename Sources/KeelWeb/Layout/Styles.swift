/// The workspace's one stylesheet, inlined in every page (no external assets; works offline). Colours meet
/// WCAG AA contrast on their backgrounds; the layout folds to one column on a phone-width screen.
enum Styles {
    static let css = """
    :root{--ink:#1b2430;--muted:#4f5b6b;--line:#d9dee5;--bg:#f6f7f9;--card:#fff;--accent:#0b5cad;--good:#146c2e;--bad:#a4161a;--warn:#7a4d00}
    *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
    a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus{outline:3px solid #7fb0e6;outline-offset:1px}
    header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1.2rem;background:#12263f;color:#fff}
    header.top nav{display:flex;flex-wrap:wrap;gap:.1rem .8rem}header.top a{color:#fff;text-decoration:none;padding:.2rem .1rem}header.top a[aria-current=page]{border-bottom:2px solid #fff}
    header.top .brand{font-weight:700;font-size:1.1rem;margin-right:1rem}header.top .who{margin-left:auto;font-size:.9rem}
    main{max-width:1200px;margin:0 auto;padding:1.2rem}h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .6rem}
    .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:1rem}
    .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;overflow-x:auto}.grid>*{min-width:0}
    .figure{font-size:1.6rem;font-weight:650}.label{color:var(--muted);font-size:.85rem}
    .good{color:var(--good)}.bad{color:var(--bad)}.warn{color:var(--warn)}
    table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);overflow-wrap:break-word}th{color:var(--muted);font-weight:600}
    form.inline{display:inline}button{font:inherit;padding:.35rem .8rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
    button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
    label{display:block;font-weight:600;margin:.6rem 0 .2rem}input,select{font:inherit;padding:.4rem;border:1px solid #8a94a3;border-radius:6px;width:100%;max-width:24rem}
    .error{color:var(--bad);font-size:.9rem;margin:.2rem 0}.notice{padding:.6rem .8rem;border-radius:6px;background:#e8f0fa;margin-bottom:1rem}
    svg.chart{width:100%;height:auto;display:block}svg.chart text{font-size:11px;fill:var(--muted)}
    @media (max-width:600px){main{padding:.6rem}header.top .who{margin-left:0}.figure{font-size:1.3rem}}
    """
}
