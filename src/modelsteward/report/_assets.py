# ruff: noqa: E501
"""The inline stylesheet and script every report page carries (no web fonts, no network).

All rules are scoped under ``.ms-report`` so the Jupyter fragment cannot restyle a notebook.
The script makes ``table.sortable`` headers sort on click (numbers by ``data-sort``,
blanks last), resizes plotly charts once the page has laid out and when a ``<details>`` opens, opens a ``<details>``
when a link points at it, and wires the expand/collapse-all buttons.

>>> ".ms-report" in CSS and "aria-sort" in JS
True
"""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
.ms-report{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;
--good:#1e7b4f;--good-bg:#e3f6ec;--bad:#b42318;--bad-bg:#fdecea;--warn:#9a5b00;
--warn-bg:#fff4de;--accent:#2f5fd0;color:var(--fg);background:var(--bg);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.ms-report *{box-sizing:border-box}
body{margin:0;background:#f5f7fa}
.ms-page{max-width:1240px;margin:0 auto;padding:24px 28px 40px}
.ms-report:not(.ms-page){padding:12px;border-radius:8px}
.ms-report header{margin-bottom:18px}
.ms-report .brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--accent);
font-weight:600}
.ms-report h1{font-size:26px;margin:4px 0 2px;font-weight:650}
.ms-report h2{font-size:18px;margin:0 0 10px;font-weight:620}
.ms-report h3{font-size:15px;margin:16px 0 8px;font-weight:600}
.ms-report .subtitle,.ms-report .intro,.ms-report .note{color:var(--muted);margin:4px 0 12px}
.ms-report .toc{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:10px;font-size:13px}
.ms-report a{color:var(--accent);text-decoration:none}
.ms-report a:hover{text-decoration:underline}
.ms-report .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;
margin-bottom:18px}
.ms-report .card{background:var(--card);border:1px solid var(--line);border-left:4px solid #9aa5b1;
border-radius:8px;padding:12px 14px}
.ms-report .card-good{border-left-color:var(--good)}.ms-report .card-bad{border-left-color:var(--bad)}
.ms-report .card-warn{border-left-color:#e8a33d}.ms-report .card-muted{border-left-color:var(--line)}
.ms-report .card-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.ms-report .card-value{font-size:20px;font-weight:650;margin-top:2px}
.ms-report .card-bad .card-value{color:var(--bad)}.ms-report .card-good .card-value{color:var(--good)}
.ms-report .card-detail{font-size:12.5px;color:var(--muted);margin-top:2px}
.ms-report section{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:18px 20px;margin-bottom:18px}
.ms-report .table-wrap{overflow-x:auto;max-width:100%}
.ms-report table.data{border-collapse:collapse;width:100%;font-size:13px}
.ms-report table.data th,.ms-report table.data td{padding:6px 10px;border-bottom:1px solid var(--line);
text-align:left;vertical-align:top}
.ms-report table.data th{background:#f0f3f7;font-weight:600;position:sticky;top:0}
.ms-report table.sortable th{white-space:nowrap}
.ms-report table.sortable th{cursor:pointer;user-select:none}
.ms-report table.sortable th:after{content:" \\2195";color:#9aa5b1;font-size:11px}
.ms-report table.sortable th[aria-sort=ascending]:after{content:" \\25B2";color:var(--fg)}
.ms-report table.sortable th[aria-sort=descending]:after{content:" \\25BC";color:var(--fg)}
.ms-report td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ms-report td.empty{color:#9aa5b1}
.ms-report .nowrap{white-space:nowrap}
.ms-report td .sub{display:block;color:var(--muted);font-size:11.5px;white-space:nowrap}
.ms-report td .sub.wrap{white-space:normal}
.ms-report td.rule{min-width:180px;font-size:12.5px;color:#3e4c59}
.ms-report tr.row-bad td:first-child{box-shadow:inset 3px 0 0 var(--bad)}
.ms-report tr.row-muted td{color:var(--muted)}
.ms-report tr.row-warn td:first-child{box-shadow:inset 3px 0 0 #e8a33d}
.ms-report td.warn{background:var(--warn-bg);color:var(--warn)}
.ms-report td.bad{background:var(--bad-bg);color:var(--bad);font-weight:600}
.ms-report table.data tbody tr:hover{background:#f8fafc}
.ms-report .badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;
font-weight:600;white-space:nowrap}
.ms-report .badge-good{background:var(--good-bg);color:var(--good)}
.ms-report .badge-bad{background:var(--bad-bg);color:var(--bad)}
.ms-report .badge-warn{background:var(--warn-bg);color:var(--warn)}
.ms-report .badge-muted,.ms-report .badge-neutral{background:#eef1f4;color:var(--muted)}
.ms-report .callout{border-radius:8px;padding:10px 14px;margin:10px 0}
.ms-report .callout-warn{background:var(--warn-bg);border:1px solid #f3d19c;color:#6b3f00}
.ms-report .callout-info{background:#eef3fd;border:1px solid #c9d8f6}
.ms-report .callout ul{margin:4px 0 0;padding-left:20px}
.ms-report details{border:1px solid var(--line);border-radius:8px;margin:8px 0;background:#fff}
.ms-report details>summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:center;
flex-wrap:wrap}
.ms-report details>summary{list-style:none}.ms-report details>summary::-webkit-details-marker{display:none}
.ms-report details>summary::before{content:"\\25B8";color:var(--muted);width:10px}
.ms-report details[open]>summary::before{content:"\\25BE"}
.ms-report details[open]>summary{border-bottom:1px solid var(--line)}
.ms-report details .details-body{padding:8px 14px 12px}
.ms-report .colname{font-weight:600}
.ms-report .meta{color:var(--muted);font-size:12.5px}
.ms-report dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
.ms-report dl.facts dt{color:var(--muted)}.ms-report dl.facts dd{margin:0}
.ms-report .grid2{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:18px}
.ms-report .grid2>*,.ms-report .chart{min-width:0}
.ms-report .toolbar{display:flex;gap:8px;margin:4px 0 8px}
.ms-report button{font:inherit;font-size:12.5px;border:1px solid var(--line);background:#fff;
border-radius:6px;padding:3px 10px;cursor:pointer}
.ms-report .chart{width:100%}
.ms-report footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
.ms-report code{font-size:12.5px;background:#f0f3f7;padding:0 4px;border-radius:4px}
@media (max-width:900px){.ms-report .grid2{grid-template-columns:minmax(0,1fr)}}
@media (max-width:640px){.ms-page{padding:14px}}
@media print{.ms-report details{break-inside:avoid}.ms-report .toolbar{display:none}}
"""

JS = """
(function(){
function key(td){if(!td)return null;var s=td.getAttribute('data-sort');
if(s!==null)return parseFloat(s);var t=td.textContent.trim();return t==='\\u2014'?null:t.toLowerCase();}
document.querySelectorAll('table.sortable').forEach(function(table){
table.querySelectorAll('thead th').forEach(function(th,col){th.addEventListener('click',function(){
var asc=th.getAttribute('aria-sort')!=='ascending';
table.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',asc?'ascending':'descending');
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
if(x===null&&y===null)return 0;if(x===null)return 1;if(y===null)return -1;
var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));
return asc?c:-c;});rows.forEach(function(r){body.appendChild(r);});});});});
function resize(root){if(window.Plotly){root.querySelectorAll('.plotly-graph-div').forEach(
function(g){window.Plotly.Plots.resize(g);});}}
window.addEventListener('load',function(){resize(document);});
document.querySelectorAll('details').forEach(function(d){
d.addEventListener('toggle',function(){if(d.open)resize(d);});});
document.querySelectorAll('a[href^="#"]').forEach(function(a){a.addEventListener('click',function(){
var t=document.getElementById(a.getAttribute('href').slice(1));
if(t&&t.tagName==='DETAILS'){t.open=true;}});});
document.querySelectorAll('[data-details]').forEach(function(b){b.addEventListener('click',function(){
var open=b.getAttribute('data-details')==='open';
document.querySelectorAll(b.getAttribute('data-target')+' details').forEach(function(d){d.open=open;});
});});
})();
"""
