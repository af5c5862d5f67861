/**
 * The admin pages' stylesheet, served as `/_static/admin.css` so the pages need no inline style and can carry a
 * strict Content-Security-Policy.
 * @module
 */
export const ADMIN_CSS = `
:root { --fg:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#0a66c2; --bg:#f5f7fa; --ok:#1f7a3a; --bad:#b42318; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header { background:#102a43; color:#fff; padding:0 24px; display:flex; align-items:center; gap:24px; height:52px; }
header .brand { font-weight:600; }
header nav a { color:#d9e2ec; text-decoration:none; margin-right:16px; }
header nav a[aria-current=page] { color:#fff; border-bottom:2px solid #fff; padding-bottom:4px; }
main { max-width:1040px; margin:24px auto; padding:0 24px; }
h1 { font-size:22px; margin:0 0 16px; }
h2 { font-size:17px; margin:24px 0 8px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(240px,1fr)); gap:16px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px; display:flex; flex-direction:column; gap:8px; }
.card img { width:48px; height:48px; object-fit:contain; }
.card p { color:var(--muted); margin:0; flex:1; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:13px; color:var(--muted); font-weight:600; }
td code { white-space:nowrap; }
code { font:13px ui-monospace, monospace; background:#eef2f7; padding:1px 4px; border-radius:3px; word-break:break-all; }
button, .button { font:inherit; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:6px; padding:4px 12px; cursor:pointer; text-decoration:none; display:inline-block; }
button.secondary { background:#fff; color:var(--accent); }
button.danger { background:#fff; color:var(--bad); border-color:var(--bad); }
button:disabled { opacity:.5; cursor:not-allowed; }
form.inline { display:inline; margin:0 4px 4px 0; }
.state { font-weight:600; }
.state.active { color:var(--ok); } .state.inactive { color:var(--muted); } .state.frozen { color:#1d4ed8; }
.ok { color:var(--ok); } .bad { color:var(--bad); }
.muted { color:var(--muted); font-size:13px; }
.notice { background:#e3f8e8; border:1px solid #9fdcab; padding:12px; border-radius:6px; margin-bottom:16px; }
fieldset { border:1px solid var(--line); border-radius:6px; background:#fff; margin:0 0 12px; padding:8px 12px; }
fieldset label { display:inline-block; min-width:200px; margin:2px 8px 2px 0; font-size:14px; }
.empty { color:var(--muted); padding:24px; background:#fff; border:1px dashed var(--line); border-radius:8px; }
`;
