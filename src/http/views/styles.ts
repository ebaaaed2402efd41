// The dashboard's stylesheet, inlined into the page (one request). Colours meet WCAG AA contrast on
// white; states and markers always carry text too.
export const DASHBOARD_CSS = `
:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#fff;--bg:#f4f6f8;--bar:#1f5fa8;--bar-strong:#0b3d75;--warn:#8a3b00;--warn-bg:#fff4e5;--crit:#a40e26;--crit-bg:#ffebe9;--ok:#116329}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:#0a4ea3}
a:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.wrap{max-width:1240px;margin:0 auto;padding:16px}
header.top{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:baseline;justify-content:space-between}
h1{font-size:1.45rem;margin:0}
h2{font-size:1.05rem;margin:0 0 4px}
.sub{color:var(--muted);margin:2px 0 0;font-size:.9rem}
.actions{display:flex;gap:12px;flex-wrap:wrap}
.button{display:inline-block;padding:6px 12px;border:1px solid var(--bar);border-radius:6px;background:#fff;color:var(--bar-strong);font-weight:600;text-decoration:none}
.filters{display:flex;flex-wrap:wrap;gap:10px 14px;align-items:flex-end;margin:14px 0;padding:12px;background:var(--panel);border:1px solid var(--line);border-radius:8px}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);font-weight:600;gap:2px}
.filters label.check{flex-direction:row;align-items:center;gap:6px;color:var(--ink);font-size:.95rem;padding-bottom:6px}
.filters select{font:inherit;font-size:.95rem;color:var(--ink);padding:5px 6px;border:1px solid #8c959f;border-radius:6px;background:#fff;min-width:9em;max-width:16em}
.filters input[type=checkbox]{width:18px;height:18px}
.filters button{font:inherit;font-weight:600;padding:6px 16px;border-radius:6px;border:1px solid var(--bar-strong);background:var(--bar-strong);color:#fff;cursor:pointer}
.share{font-size:.85rem;color:var(--muted);overflow-wrap:anywhere;margin:0 0 10px}
.notice{padding:8px 12px;border-radius:6px;background:var(--warn-bg);color:var(--warn);border:1px solid #e7b67d;margin:0 0 10px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:0 0 14px}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile .k{font-size:.8rem;color:var(--muted);font-weight:600}
.tile .v{font-size:1.6rem;font-weight:700;font-variant-numeric:tabular-nums}
.tile .n{font-size:.8rem;color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));gap:14px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 14px;min-width:0}
.panel.wide{grid-column:1/-1}
.panel .note{color:var(--muted);font-size:.82rem;margin:6px 0 0}
.chart{display:block;width:100%;max-width:520px;height:auto;margin:6px 0}
.chart text{font-family:inherit;fill:var(--ink)}
.chart .bar-label{font-size:13px;font-weight:600}
.chart .bar-value{font-size:12px;font-variant-numeric:tabular-nums}
.chart .axis{font-size:10.5px;fill:var(--muted)}
.chart .muted{fill:var(--muted)}
.chart .bar{fill:var(--bar)}
.chart .strong .bar{fill:var(--bar-strong)}
.chart .partial .bar{fill:#fff;stroke:var(--bar);stroke-width:1.5;stroke-dasharray:3 2}
.chart .grid{stroke:#e1e4e8;stroke-width:1}
.chart .marker line{stroke:var(--crit);stroke-width:2}
.chart .marker-label{font-size:11.5px;font-weight:700;fill:var(--crit)}
details{margin-top:6px}
summary{cursor:pointer;color:#0a4ea3;font-size:.88rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{font-size:.78rem;color:var(--muted);text-transform:uppercase;letter-spacing:.02em;white-space:nowrap}
caption{text-align:left;font-weight:600;font-size:.85rem;padding:8px 0 2px}
tr.selected td{background:#eef4fb;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:0 6px;border-radius:10px;border:1px solid #8c959f;font-size:.78rem;font-weight:600;white-space:nowrap}
.badge.escalated,.badge.overdue,.badge.critical{border-color:var(--crit);color:var(--crit);background:var(--crit-bg)}
.badge.away{border-color:#9a6700;color:var(--warn);background:var(--warn-bg)}
.badge.hot{border-color:var(--warn);color:var(--warn)}
.badge.available{border-color:var(--ok);color:var(--ok)}
.lead{font-weight:600;overflow-wrap:anywhere}
.small{font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}
.empty{color:var(--muted);margin:8px 0}
.alerts{list-style:none;margin:0;padding:0}
.alerts li{border-left:4px solid var(--warn);padding:6px 10px;margin:6px 0;background:var(--warn-bg)}
.alerts li.critical{border-left-color:var(--crit);background:var(--crit-bg)}
.alerts .small{color:#3d444d}
footer{color:var(--muted);font-size:.8rem;margin:18px 0 8px}
@media (max-width:640px){
 .wrap{padding:10px}
 .tile .v{font-size:1.35rem}
 .chart .bar-label{font-size:14px}
 .chart .bar-value{font-size:13px}
 .chart .axis{font-size:11px}
 .chart .marker-label{font-size:12.5px}
 .filters select{min-width:0;width:100%;max-width:none}
 .filters label{flex:1 1 40%}
 table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 table.cards tr{display:block;border:1px solid var(--line);border-radius:6px;margin:0 0 8px;padding:4px 8px}
 table.cards td{display:flex;justify-content:space-between;align-items:baseline;gap:12px;border:0;padding:3px 0;text-align:right}
 table.cards td>.cv{min-width:0;overflow-wrap:anywhere}
 table.cards td::before{content:"";flex:0 0 auto;max-width:45%;color:var(--muted);font-size:.8rem;font-weight:600;text-align:left}
 table.cards td.first{display:block;text-align:left;font-size:1rem}
 table.cards td.first::before{content:none}
}
`;
