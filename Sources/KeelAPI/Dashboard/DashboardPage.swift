/// The operator dashboard: one HTML page that logs in with the API's own login and then reads and acts
/// through the same JSON API (clients, portfolio health, batches, approve/reject, dry run, execute, kill switch);
/// goals have their own page (GoalsPage).
/// It holds no data of its own, so everything it shows is exactly what the API returns.
enum DashboardPage {
    static func render(title: String = "Keel") -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
        header{background:#14213d;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
        main{padding:20px;display:grid;grid-template-columns:320px 1fr;gap:20px}
        section{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002}
        table{border-collapse:collapse;width:100%;font-size:14px}td,th{padding:4px 6px;border-bottom:1px solid #eee;text-align:left}
        button{margin:2px;padding:4px 10px;border:0;border-radius:4px;background:#2b59c3;color:#fff;cursor:pointer}
        button.danger{background:#c0392b}.muted{color:#778}.error{color:#c0392b}li{cursor:pointer;padding:4px 0}
        input{padding:6px;margin:4px 0;width:100%;box-sizing:border-box}
        </style></head><body>
        <header><strong>Keel</strong><span id="who" class="muted"></span><span id="switches"></span></header>
        <main>
        <section id="login"><h3>Sign in</h3><input id="user" placeholder="user id" value="advisor">
        <input id="pass" type="password" placeholder="password"><button onclick="login()">Sign in</button>
        <p id="loginError" class="error"></p></section>
        <section id="clientsBox" hidden><h3>Clients</h3><ul id="clients"></ul></section>
        <section id="detail" hidden></section>
        </main>
        <script>
        let token = sessionStorage.getItem('keelToken');
        async function api(method, path, body) {
          const r = await fetch(path, {method, headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'},
                                       body: body ? JSON.stringify(body) : undefined});
          const data = r.status === 204 ? {} : await r.json();
          if (!r.ok) throw new Error(data.error ? data.error.message : r.statusText);
          return data;
        }
        const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        const money = v => Number(v).toLocaleString(undefined, {style: 'currency', currency: 'USD'});
        const pct = v => v == null ? '' : (100 * v).toFixed(2) + '%';
        async function login() {
          const r = await fetch('/api/auth/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({user_id: document.getElementById('user').value, password: document.getElementById('pass').value})});
          const data = await r.json();
          if (!r.ok) { document.getElementById('loginError').textContent = data.error.message; return; }
          token = data.token; sessionStorage.setItem('keelToken', token); start();
        }
        async function start() {
          try {
            const me = await api('GET', '/api/auth/me');
            document.getElementById('who').textContent = me.user_id + ' (' + me.role + ')';
            document.getElementById('login').hidden = true;
            document.getElementById('clientsBox').hidden = false;
            const clients = await api('GET', '/api/clients');
            document.getElementById('clients').innerHTML = clients.map(c =>
              `<li onclick="showClient(${c.client_id})">${esc(c.first_name)} ${esc(c.last_name)} <span class="muted">#${c.client_id} ${esc(c.status)}</span></li>`).join('');
            showSwitches();
            if (clients.length) showClient(clients[0].client_id);
          } catch (e) { sessionStorage.removeItem('keelToken'); }
        }
        async function showSwitches() {
          const s = await api('GET', '/api/system/trading');
          document.getElementById('switches').innerHTML = s.kill_switch_engaged
            ? `KILL SWITCH ENGAGED <button onclick="kill(false)">release</button>`
            : `trading ${s.trading_paused ? 'paused' : 'running'} <button class="danger" onclick="kill(true)">kill switch</button>`;
        }
        async function kill(engaged) { await api('POST', '/api/system/kill-switch', {engaged, reason: 'dashboard'}); showSwitches(); }
        let current = null;
        async function showClient(id) {
          current = id;
          const box = document.getElementById('detail'); box.hidden = false;
          try {
            const [h, accounts, batches, client] = await Promise.all([api('GET', '/api/portfolio-health/' + id),
              api('GET', '/api/clients/' + id + '/accounts'), api('GET', '/api/rl/trading/batches?client_id=' + id + '&limit=10'),
              api('GET', '/api/clients/' + id)]);
            // The client's trading user: its login, or the generated identity client:<id> (see ClientTradingUser).
            const tradingUser = client.user_id || ('client:' + id);
            box.innerHTML = `<h3>Portfolio of client #${id}</h3>
              <p>Total ${money(h.total_value)} · cash ${money(h.cash)} · unrealised P&amp;L ${money(h.unrealized_pnl)} ·
              volatility ${pct(h.trailing_volatility)} · max drift ${pct(h.max_drift)}</p>
              <table><tr><th>symbol</th><th>qty</th><th>price</th><th>value</th><th>weight</th><th>target</th><th>drift</th></tr>
              ${h.positions.map(p => `<tr><td>${esc(p.symbol)}</td><td>${p.quantity}</td><td>${p.price ?? ''}</td><td>${money(p.market_value)}</td>
              <td>${pct(p.weight)}</td><td>${pct(p.target_weight)}</td><td>${pct(p.drift)}</td></tr>`).join('')}</table>
              <p><a href="/dashboard/goals?user_id=${encodeURIComponent(tradingUser)}">goals of this client's trading user</a></p>
              <h4>Accounts</h4>${accounts.map(a => `<div>${esc(a.brokerage)} ${esc(a.account_number)} (${esc(a.status)})
              <button onclick="rebalance('${esc(a.account_hash)}')">propose rebalance</button></div>`).join('')}
              <h4>Batches</h4><table><tr><th>created</th><th>status</th><th>orders</th><th></th></tr>
              ${batches.map(b => `<tr><td>${esc(b.created_at)}</td><td>${esc(b.status)}</td><td>${b.order_count}</td><td>
              ${b.status === 'pending_approval' ? `<button onclick="act('approve','${b.batch_id}')">approve</button><button class="danger" onclick="act('reject','${b.batch_id}')">reject</button>` : ''}
              ${b.status === 'approved' ? `<button onclick="execute('${b.batch_id}', true)">dry run</button><button onclick="execute('${b.batch_id}', false)">execute</button>` : ''}
              </td></tr>`).join('')}</table><p id="msg"></p>`;
          } catch (e) { box.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
        }
        async function rebalance(hash) { await run(() => api('POST', '/api/rl/trading/rebalance', {client_id: current, account_hash: hash})); }
        async function act(what, id) {
          await run(() => what === 'approve' ? api('POST', `/api/rl/trading/batches/${id}/approve`)
            : api('POST', `/api/rl/trading/batches/${id}/reject`, {reason: prompt('Reason for rejecting?') || 'rejected on dashboard'}));
        }
        async function execute(id, dry) {
          const r = await run(() => api('POST', '/api/rl/trading/execute-batch', {batch_id: id, dry_run: dry}));
          if (r) alert(`${dry ? 'Dry run' : 'Execution'}: ${r.trades_executed} trade(s), cash ${money(r.cash_before)} -> ${money(r.cash_after)}`);
        }
        async function run(f) { try { const r = await f(); await showClient(current); return r; } catch (e) { alert(e.message); } }
        if (token) start();
        </script></body></html>
        """
    }
}
