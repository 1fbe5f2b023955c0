/// The goals page of the dashboard: a user's financial goals with progress, the risk factor and strategy
/// they ask for, history, adjustments and alerts; create and cancel. Like the main page it reads and acts
/// only through the JSON API, with the token of the dashboard's login.
enum GoalsPage {
    static func render() -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Keel · goals</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
        header{background:#14213d;color:#fff;padding:12px 20px;display:flex;gap:20px;align-items:center}header a{color:#cfe}
        main{padding:20px;display:grid;grid-template-columns:340px 1fr;gap:20px}
        section{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002}
        table{border-collapse:collapse;width:100%;font-size:14px}td,th{padding:4px 6px;border-bottom:1px solid #eee;text-align:left}
        button{margin:2px;padding:4px 10px;border:0;border-radius:4px;background:#2b59c3;color:#fff;cursor:pointer}
        button.danger{background:#c0392b}.muted{color:#778}.error{color:#c0392b}
        input,select{padding:6px;margin:3px 0;width:100%;box-sizing:border-box}
        .bar{background:#e4e7ee;border-radius:4px;height:10px;width:160px}.bar>div{background:#2b8a3e;height:10px;border-radius:4px}
        </style></head><body>
        <header><strong>Keel · goals</strong><a href="/">dashboard</a><span id="who" class="muted"></span></header>
        <main>
        <section><h3>User</h3><input id="userId" placeholder="user id: a login, or client:1 for a client without one"><button onclick="load()">show goals</button>
        <div id="combined" class="muted"></div>
        <h3>New goal</h3>
        <select id="type"><option>monthly_return</option><option>quarterly_return</option><option>yearly_return</option>
        <option>profit_target</option><option>portfolio_value</option><option>max_drawdown</option></select>
        <input id="target" placeholder="target (percent for return/drawdown goals, amount otherwise)">
        <input id="start" placeholder="starting value (goals without an account)">
        <input id="account" placeholder="account hash (optional: measure an account)">
        <input id="end" placeholder="period end YYYY-MM-DD (required for profit/value goals)">
        <input id="priority" placeholder="priority 1 (highest) to 10" value="1">
        <button onclick="create()">create goal</button><p id="msg" class="error"></p></section>
        <section id="goals"><p class="muted">Sign in on the dashboard first, then choose a user.</p></section>
        </main>
        <script>
        const token = sessionStorage.getItem('keelToken');
        async function api(method, path, body) {
          const r = await fetch(path, {method, headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'},
                                       body: body ? JSON.stringify(body) : undefined});
          const data = await r.json();
          if (!r.ok) throw new Error((data.error ? data.error.message : r.statusText) + (data.error && data.error.field ? ' (' + data.error.field + ')' : ''));
          return data;
        }
        const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        const num = v => v == null ? '' : Number(v).toLocaleString(undefined, {maximumFractionDigits: 2});
        function user() { return document.getElementById('userId').value.trim(); }
        async function load() {
          const box = document.getElementById('goals');
          try {
            const [goals, combined] = await Promise.all([api('GET', '/api/goals?user_id=' + encodeURIComponent(user())),
                                                         api('GET', '/api/goals/sizing?user_id=' + encodeURIComponent(user()))]);
            document.getElementById('combined').innerHTML = `Combined risk factor <b>${num(combined.factor)}</b>, strategy <b>${esc(combined.strategy ?? 'model portfolio')}</b>
              <br>${esc(combined.rule)}${combined.conflicts.length ? '<br>Conflicts: ' + combined.conflicts.map(esc).join('; ') : ''}`;
            box.innerHTML = `<h3>Goals of ${esc(user())}</h3><table><tr><th>goal</th><th>progress</th><th>status</th><th>factor</th><th>strategy</th><th>period end</th><th></th></tr>
              ${goals.map(g => `<tr><td>${esc(g.name)}<br><span class="muted">${esc(g.goal_type)} · priority ${g.priority}</span></td>
              <td><div class="bar"><div style="width:${Math.max(0, Math.min(100, g.progress_pct))}%"></div></div>${num(g.progress_pct)}% · ${num(g.current_value)}</td>
              <td>${esc(g.status)}</td><td title="${esc(g.sizing_reason)}">${num(g.sizing_factor)}</td><td title="${esc(g.strategy_reason)}">${esc(g.selected_strategy)}</td>
              <td>${esc((g.period_end || '').slice(0, 10))}</td><td><button onclick="details('${g.goal_id}')">details</button>
              ${g.status === 'active' || g.status === 'at_risk' ? `<button class="danger" onclick="cancelGoal('${g.goal_id}')">cancel</button>` : ''}</td></tr>`).join('')}
              </table><div id="details"></div>`;
          } catch (e) { box.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
        }
        async function details(id) {
          const [history, adjustments, alerts] = await Promise.all([api('GET', `/api/goals/${id}/history`), api('GET', `/api/goals/${id}/adjustments`),
                                                                    api('GET', `/api/goals/${id}/alerts`)]);
          document.getElementById('details').innerHTML = `<h4>Progress history</h4><table><tr><th>time</th><th>progress</th><th>status</th><th>factor</th><th>why</th></tr>
            ${history.map(h => `<tr><td>${esc(h.recorded_at)}</td><td>${num(h.progress_pct)}%</td><td>${esc(h.status)}</td><td>${num(h.sizing_factor)}</td><td>${esc(h.trigger)}</td></tr>`).join('')}</table>
            <h4>Adjustments</h4><table><tr><th>time</th><th>factor</th><th>strategy</th><th>reason</th></tr>
            ${adjustments.map(a => `<tr><td>${esc(a.created_at)}</td><td>${num(a.old_factor)} → ${num(a.new_factor)}</td><td>${esc(a.old_strategy ?? '')} → ${esc(a.new_strategy)}</td>
            <td>${esc(a.reason)}${a.conflicts ? '<br><span class="muted">' + esc(a.conflicts) + '</span>' : ''}</td></tr>`).join('')}</table>
            <h4>Alerts</h4><ul>${alerts.map(a => `<li>${esc(a.created_at)} · ${esc(a.kind)}: ${esc(a.message)}</li>`).join('')}</ul>`;
        }
        async function create() {
          const v = id => document.getElementById(id).value.trim();
          const body = {user_id: user(), goal_type: v('type'), target_value: Number(v('target')), priority: Number(v('priority') || 1)};
          if (v('start')) body.starting_value = Number(v('start'));
          if (v('account')) body.account_hash = v('account');
          if (v('end')) body.period_end = v('end');
          try { await api('POST', '/api/goals', body); document.getElementById('msg').textContent = ''; load(); }
          catch (e) { document.getElementById('msg').textContent = e.message; }
        }
        async function cancelGoal(id) { if (confirm('Cancel this goal?')) { await api('POST', `/api/goals/${id}/cancel`); load(); } }
        const given = new URLSearchParams(location.search).get('user_id');
        if (given) { document.getElementById('userId').value = given; load(); }
        </script></body></html>
        """
    }
}
