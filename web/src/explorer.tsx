/**
 * Explorer: pick an asset and one of its aspects, plot the aspect's numeric variables over a range with uPlot
 * (drag to zoom, double-click to reset), raw records for short ranges and interval averages for long ones, with
 * the count of records whose quality code is not good, and a live tail that appends new records every few seconds.
 */
import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import * as am from './am-api';
import { get } from './api';
import { ErrorLine, Shell } from './shell';
import { load, type Series } from './ts-api';

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
    const plot = new uPlot({
      axes: [axis, axis],
      width: Math.max(320, el.clientWidth), height: 320,
      series: [{}, ...variables.map((v, i) => ({ label: v, stroke: COLORS[i % COLORS.length]!, width: 1.5, spanGaps: false }))],
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
    }, [series.x, ...variables.map((v) => series.columns[v] ?? [])], el);
    const resize = () => plot.setSize({ width: Math.max(320, el.clientWidth), height: 320 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.series, props.variables]);
  return <div ref={box} className="chart" data-testid="chart" />;
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
        const keep = (i: number, x: number[]) => x[i]! * 1000 > now - rangeMs;
        const fresh = tail.x.map((_, i) => i).filter((i) => tail.x[i]! * 1000 > last);
        if (fresh.length === 0) return;
        const x = [...series.x, ...fresh.map((i) => tail.x[i]!)];
        const columns = Object.fromEntries(variables.map((v) => [v, [...(series.columns[v] ?? []), ...fresh.map((i) => tail.columns[v]![i]!)]]));
        const first = x.findIndex((_, i) => keep(i, x));
        const from = first < 0 ? x.length : first;
        const badQuality = { ...series.badQuality };
        for (const [v, n] of Object.entries(tail.badQuality)) badQuality[v] = (badQuality[v] ?? 0) + n;
        setSeries({ x: x.slice(from), columns: Object.fromEntries(Object.entries(columns).map(([v, c]) => [v, c.slice(from)])), badQuality, source: 'raw' });
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
        </section>
      )}
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Explorer">{() => <Explorer />}</Shell>);
