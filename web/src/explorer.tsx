/**
 * Explorer: pick an asset and one of its aspects, plot the aspect's numeric variables over a range with uPlot
 * (drag to zoom, double-click to reset), raw records for short ranges and interval averages for long ones, with
 * the quality codes (counts per class, not-good values marked on the chart), a CSV export of what is drawn, and a
 * live tail that appends new records every few seconds.
 */
import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import * as am from './am-api';
import { get } from './api';
import { ErrorLine, Shell } from './shell';
import { appendTail, csvRows, load, qualityOf, type Series } from './ts-api';

const NUMERIC = new Set(['DOUBLE', 'INT', 'LONG']);
const RANGES = [
  { label: 'Last hour', ms: 3600_000 },
  { label: 'Last 6 hours', ms: 6 * 3600_000 },
  { label: 'Last day', ms: 24 * 3600_000 },
  { label: 'Last week', ms: 7 * 24 * 3600_000 },
  { label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
  { label: 'Last year', ms: 365 * 24 * 3600_000 },
  { label: 'Custom', ms: 0 },
];
const COLORS = ['#0077a8', '#d9534f', '#2e9e44', '#a05cc4', '#e08a00', '#555'];
/** How often the live tail asks for new records. */
const LIVE_MS = 5000;
const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function Chart(props: { series: Series; variables: string[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const { series, variables } = props;
    // axes in the theme's colours (light or dark, following the system)
    const css = getComputedStyle(document.documentElement);
    const axis = { stroke: css.getPropertyValue('--fg').trim() || '#1b1f24', grid: { stroke: css.getPropertyValue('--line').trim() || '#d6dbe0' } };
    // values whose quality code is not good, as marks on their own series (raw records only)
    const flagged = variables.filter((v) => (series.badQuality[v] ?? 0) > 0 && series.qc[v]);
    const err = css.getPropertyValue('--err').trim() || '#b00020';
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot({
      axes: [axis, axis],
      width: width(), height: 320,
      series: [{}, ...variables.map((v, i) => ({ label: v, stroke: COLORS[i % COLORS.length]!, width: 1.5, spanGaps: false })),
        ...flagged.map((v) => ({ label: `${v} not good`, stroke: err, width: 0, paths: () => null, points: { show: true, size: 7, stroke: err, fill: err } }))],
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
    }, [series.x, ...variables.map((v) => series.columns[v] ?? []),
      ...flagged.map((v) => (series.columns[v] ?? []).map((value, i) => (qualityOf(series.qc[v]?.[i]) === 'good' ? null : value)))], el);
    const resize = () => plot.setSize({ width: width(), height: 320 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.series, props.variables]);
  return <div ref={box} className="chart" data-testid="chart" />;
}

/**
 * Saves what is drawn as a CSV file: csv-stringify (its browser build, loaded on first export) quotes as RFC 4180
 * says; a blob link, nothing inline.
 */
async function exportCsv(series: Series, variables: string[], aspect: string): Promise<void> {
  const { stringify } = await import('csv-stringify/browser/esm/sync');
  const url = URL.createObjectURL(new Blob([stringify(csvRows(series, variables))], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${aspect}-${new Date(series.x[0]! * 1000).toISOString().slice(0, 19).replace(/:/g, '')}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `?asset=…&aspect=…` (the Asset Manager's link) preselects the asset and aspect. */
const wanted = new URLSearchParams(location.search);

function Explorer() {
  const [assets, setAssets] = useState<am.Asset[]>([]);
  const [assetId, setAssetId] = useState(wanted.get('asset') ?? '');
  const [aspects, setAspects] = useState<am.Aspect[]>([]);
  const [aspectName, setAspectName] = useState('');
  const [rangeMs, setRangeMs] = useState(RANGES[2]!.ms);
  const [custom, setCustom] = useState({ from: '', to: '' });
  const [series, setSeries] = useState<Series | undefined>();
  const [live, setLive] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    get<{ _embedded?: { assets: am.Asset[] } }>(`${am.AM}/assets?size=200&sort=name,asc`)
      .then((p) => setAssets((p._embedded?.assets ?? []).filter((a) => a.parentId !== null)), (e) => setError(msg(e)));
  }, []);
  useEffect(() => {
    setAspects([]);
    setAspectName('');
    setSeries(undefined);
    if (!assetId) return;
    am.aspects(assetId).then((list) => {
      setAspects(list);
      const preset = wanted.get('aspect');
      setAspectName(list.find((a) => a.name === preset)?.name ?? list[0]?.name ?? '');
    }, (e) => setError(msg(e)));
  }, [assetId]);

  const aspect = aspects.find((a) => a.name === aspectName);
  const variables = aspect?.variables.filter((v) => NUMERIC.has(v.dataType)).map((v) => v.name) ?? [];
  const canTail = series?.source === 'raw' && rangeMs > 0;
  // Live tail: records after the last one drawn are appended, those older than the range dropped.
  useEffect(() => {
    if (!live || !canTail || !series || !aspect) return;
    const timer = setInterval(() => {
      const now = Date.now();
      const last = series.x.length ? series.x[series.x.length - 1]! * 1000 : now - rangeMs;
      load(assetId, aspect.name, variables, new Date(last), new Date(now)).then((tail) => {
        const next = appendTail(series, tail, variables, last / 1000, now - rangeMs);
        if (next) setSeries(next);
      }, (e) => setError(msg(e)));
    }, LIVE_MS);
    return () => clearInterval(timer);
  }, [live, canTail, series, aspect, assetId, rangeMs]);

  const plot = async () => {
    if (!aspect) return;
    setLoading(true);
    setError(undefined);
    try {
      // datetime-local values are local times; Date parses them so
      const to = rangeMs ? new Date() : new Date(custom.to);
      const from = rangeMs ? new Date(to.getTime() - rangeMs) : new Date(custom.from);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) throw new Error('Choose a start before the end.');
      setSeries(await load(assetId, aspect.name, variables, from, to));
    } catch (e) {
      setError(msg(e));
    } finally {
      setLoading(false);
    }
  };

  return (
    <>
      <section className="panel" aria-labelledby="pick">
        <h2 id="pick">Time series</h2>
        <form className="inline" onSubmit={(e) => { e.preventDefault(); void plot(); }}>
          <label>Asset
            <select name="asset" value={assetId} onChange={(e) => setAssetId(e.target.value)}>
              <option value="">Choose an asset…</option>
              {assets.map((a) => <option key={a.assetId} value={a.assetId}>{a.name}</option>)}
            </select>
          </label>
          <label>Aspect
            <select name="aspect" value={aspectName} onChange={(e) => setAspectName(e.target.value)} disabled={aspects.length === 0}>
              {aspects.map((a) => <option key={a.name} value={a.name}>{a.name}</option>)}
            </select>
          </label>
          <label>Range
            <select name="range" value={rangeMs} onChange={(e) => setRangeMs(Number(e.target.value))}>
              {RANGES.map((r) => <option key={r.ms} value={r.ms}>{r.label}</option>)}
            </select>
          </label>
          {rangeMs === 0 && <>
            <label>From<input name="from" type="datetime-local" step="1" required value={custom.from}
              onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))} /></label>
            <label>To<input name="to" type="datetime-local" step="1" required value={custom.to}
              onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))} /></label>
          </>}
          <button type="submit" className="primary" disabled={!aspect || variables.length === 0 || loading}>Plot</button>
          <label className="check"><span>Live</span>
            <input type="checkbox" name="live" checked={live} disabled={!canTail} onChange={(e) => setLive(e.target.checked)} />
          </label>
        </form>
        {assetId && aspects.length === 0 && <p className="muted">This asset has no aspects.</p>}
        {aspect && variables.length === 0 && <p className="muted">This aspect has no numeric variables.</p>}
        <ErrorLine error={error} />
      </section>
      {loading && <p className="muted">Loading…</p>}
      {series && (
        <section className="panel" aria-labelledby="plot">
          <h2 id="plot">{aspectName}</h2>
          {series.x.length === 0 ? <p className="muted">No values in this range.</p> : <Chart series={series} variables={variables} />}
          <p className="muted" data-testid="summary">
            {series.x.length} {series.source === 'raw' ? 'records' : 'intervals (averages)'}
            {Object.entries(series.badQuality).map(([v, n]) => ` · ${v}: ${n} not good`).join('')}
          </p>
          <div className="scroll"><table data-testid="quality"><caption className="muted">Quality of the values (from their quality codes)</caption>
            <thead><tr><th>Variable</th><th>Good</th><th>Uncertain</th><th>Bad</th></tr></thead>
            <tbody>{variables.map((v) => {
              const q = series.quality[v] ?? { good: 0, uncertain: 0, bad: 0 };
              return <tr key={v}><td>{v}</td><td>{q.good}</td><td className={q.uncertain ? 'quality' : ''}>{q.uncertain}</td><td className={q.bad ? 'quality' : ''}>{q.bad}</td></tr>;
            })}</tbody></table></div>
          {series.x.length > 0 && <p><button type="button" onClick={() => exportCsv(series, variables, aspectName).catch((e) => setError(msg(e)))}>Export CSV</button></p>}
        </section>
      )}
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Explorer">{() => <Explorer />}</Shell>);
