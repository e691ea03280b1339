// @ts-check
// The live page. Every second it reads /status/replication (each replica read
// directly: a stopped one shows as failing within a second or two) and the
// windows running in the serving instance (/replication/history?running=only:
// each heartbeat charted as it is measured); every ten seconds, and whenever a
// running window ends, /replication/history (the sampled windows it charts).
// It uses the Basic credentials the browser already holds for this origin.
//
// Type-checked as it is served (npm run typecheck: tsc -p functions/page): a
// script, not a module; uPlot is the global uPlot.iife.min.js sets, typed by
// the uplot package; the answers it reads are the service's own types,
// inferred from the schemas in replication/reportSchema.ts.

/** @typedef {import('../../replication/reportSchema.js').HealthReport} HealthReport */
/** @typedef {import('../../replication/reportSchema.js').HistoryAnswer} HistoryAnswer */
/** @typedef {import('../../replication/reportSchema.js').StoredWindow} StoredWindow */
/** @typedef {import('../../replication/reportSchema.js').RunningWindow} RunningWindow */
/** @typedef {import('../../replication/reportSchema.js').Failure} Failure */
/**
 * The 503 of GET /status/replication: a problem document holding every figure of the report.
 * @typedef {import('valibot').InferOutput<typeof import('../../replication/reportSchema.js').healthProblem>} HealthProblem
 */

/**
 * What each path the page reads answers with a 2xx.
 * @typedef {{
 *   '/status/replication': HealthReport,
 *   '/replication/history?running=only': HistoryAnswer,
 *   '/replication/history?minutes=60': HistoryAnswer,
 * }} Answers
 */

/**
 * An answer: a 2xx's body as the service types it (null if it was not JSON), or
 * another status's, a problem document, unknown until looked at.
 * @template {keyof Answers} P
 * @typedef {{ ok: true, status: number, body: Answers[P] | null }
 *   | { ok: false, status: number, body: unknown }} Answer
 */

const HEALTH_MS = 1000;
const RUNNING_MS = 1000;
const HISTORY_MS = 10_000;
const COLORS = ['#2471a3', '#d35400', '#16a085', '#8e44ad', '#c0392b', '#7f8c8d'];

/**
 * @type {{
 *   history: HistoryAnswer | null,
 *   historyError: number | 'unreachable' | null,
 *   health: HealthReport | HealthProblem | null,
 *   chart: uPlot | null,
 *   chartKey: string,
 *   live: HistoryAnswer | null,
 *   ended: RunningWindow[],
 * }}
 */
const state = {
  history: null,
  historyError: null,
  health: null,
  chart: null,
  chartKey: '',
  // The running windows' answer (endpoints, threshold, running), and windows
  // that ended since, charted until the history holds them.
  live: null,
  ended: [],
};

/**
 * A window is known by its prober and its first heartbeat, running or stored.
 * @param {StoredWindow | RunningWindow} window
 */
const windowKey = (window) => `${window.prober} ${window.beats_at[0]}`;

/**
 * @template {keyof Answers} P
 * @param {P} path
 * @returns {Promise<Answer<P>>}
 */
async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  /** @type {unknown} */
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return response.ok
    ? { ok: true, status: response.status, body: /** @type {Answers[P] | null} */ (body) }
    : { ok: false, status: response.status, body };
}

/**
 * The 503 of /status/replication, which still carries every replica; null for
 * another problem (a 401's, a 500's), which holds no figures.
 * @param {unknown} body
 * @returns {HealthProblem | null}
 */
const healthProblemOf = (body) =>
  typeof body === 'object' && body !== null && 'replicas' in body
    ? /** @type {HealthProblem} */ (body)
    : null;

/**
 * What the health says fails now: a 503's failures; a 200 has none.
 * @returns {Failure[]}
 */
const failingNow = () => (state.health && 'failures' in state.health ? state.health.failures : []);

/** @param {number | null | undefined} value */
const ms = (value) => (value === null || value === undefined ? '–' : `${value.toFixed(1)} ms`);
/** @param {string} iso */
const clock = (iso) => new Date(iso).toLocaleTimeString();

/**
 * An element of the page's HTML (index.html), which holds every one the script fills.
 * @param {string} selector
 * @returns {HTMLElement}
 */
function element(selector) {
  const node = document.querySelector(selector);
  if (!(node instanceof HTMLElement)) throw new Error(`the page has no ${selector}`);
  return node;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [text]
 * @param {Record<string, string>} [attributes]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** Stored windows, then those running or just ended that the history does not hold yet. */
function chartWindows() {
  const stored = state.history?.windows ?? [];
  const known = new Set(stored.map(windowKey));
  const live = [...state.ended, ...(state.live?.running ?? [])].filter(
    (window) => window.beats_at.length > 0 && !known.has(windowKey(window)),
  );
  return { stored, live };
}

/**
 * Every heartbeat of every window, with each replica's lag at it (null: unknown).
 * @param {HistoryAnswer} source
 * @param {(StoredWindow | RunningWindow)[]} windows
 * @returns {{ endpoints: string[], data: [number[], ...(number | null | undefined)[][]] }}
 */
function chartData(source, windows) {
  const endpoints = source.endpoints;
  /** @type {[number, (number | null)[]][]} */
  const points = [];
  for (const window of windows) {
    window.beats_at.forEach((at, index) => {
      const lags = endpoints.map((endpoint) => {
        const replica = window.replicas.find((r) => r.endpoint === endpoint);
        return replica?.lags?.[index] ?? null;
      });
      points.push([at / 1000, lags]);
    });
  }
  points.sort((a, b) => a[0] - b[0]);
  const xs = points.map(([x]) => x);
  const series = endpoints.map((_, i) => points.map(([, lags]) => lags[i]));
  const threshold = xs.map(() => source.threshold_ms);
  return { endpoints, data: [xs, ...series, threshold] };
}

/**
 * @param {string} endpoint
 * @param {HistoryAnswer} history
 */
function labelOf(endpoint, history) {
  const latest = history.windows?.at(-1)?.replicas.find((r) => r.endpoint === endpoint);
  return latest?.application_name ? `${endpoint} (${latest.application_name})` : endpoint;
}

function drawChart() {
  const history = state.history ?? state.live;
  const container = element('#chart');
  if (!history) return;
  const { stored, live } = chartWindows();
  const { endpoints, data } = chartData(history, [...stored, ...live]);
  // Lags measured in windows that the history does not hold yet.
  const livePoints = live.reduce(
    (sum, window) =>
      sum + window.replicas.reduce((n, r) => n + r.lags.filter((lag) => lag !== null).length, 0),
    0,
  );
  container.dataset.livePoints = String(livePoints);
  const running = state.live?.running.length ?? 0;
  const note = element('#chart-note');
  note.textContent =
    data[0].length === 0
      ? 'No sampling window has ended in the last hour yet.'
      : `${stored.length} windows, ${data[0].length} heartbeats` +
        (running > 0 ? ` (${running} window(s) running, charted as measured)` : '') +
        '; the dashed line is the threshold.';
  const key = endpoints.join(',');
  if (state.chart && state.chartKey === key) {
    state.chart.setData(data);
    return;
  }
  state.chart?.destroy();
  container.replaceChildren();
  /** @type {uPlot.Options} */
  const options = {
    width: Math.max(320, container.clientWidth),
    height: 320,
    scales: { x: { time: true }, y: { distr: 3 } },
    axes: [{}, { label: 'ms' }],
    series: [
      {},
      ...endpoints.map(
        /** @returns {uPlot.Series} */
        (endpoint, i) => ({
          label: labelOf(endpoint, history),
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: false,
          points: { show: false },
          value: (_, v) => ms(v),
        }),
      ),
      {
        label: `threshold ${history.threshold_ms} ms`,
        stroke: '#c0392b',
        dash: [6, 6],
        width: 1,
        points: { show: false },
      },
    ],
  };
  state.chart = new uPlot(options, data, container);
  state.chartKey = key;
  container.dataset.replicaSeries = String(endpoints.length);
}

function renderReplicas() {
  const body = element('#replicas tbody');
  const health = state.health;
  const latest = state.history?.windows?.at(-1);
  const endpoints = health?.replicas?.map((r) => r.endpoint) ?? state.history?.endpoints ?? [];
  body.replaceChildren(
    ...endpoints.map((endpoint) => {
      const live = health?.replicas?.find((r) => r.endpoint === endpoint);
      const sampled = latest?.replicas.find((r) => r.endpoint === endpoint);
      const failing = live && !live.ok;
      const primary = live?.role === 'primary';
      const status = primary
        ? 'primary'
        : failing
          ? `failing: ${live.failures.map((f) => f.type).join(', ')}`
          : live
            ? 'ok'
            : 'unknown';
      const row = el('tr', undefined, {
        'data-endpoint': endpoint,
        'data-state': primary ? 'primary' : failing ? 'failing' : live ? 'ok' : 'unknown',
      });
      row.append(
        el(
          'td',
          sampled?.application_name ? `${endpoint} (${sampled.application_name})` : endpoint,
        ),
        el('td', status, failing ? { title: live.failures.map((f) => f.detail).join('\n') } : {}),
        el('td', ms(sampled?.lag_ms?.last)),
        el('td', ms(sampled?.lag_ms?.p99)),
        el('td', live?.replay_lsn ?? sampled?.replay_lsn ?? '–'),
        el('td', String(live?.timeline ?? sampled?.timeline ?? '–')),
      );
      return row;
    }),
  );
}

function renderSlots() {
  const body = element('#slots tbody');
  const slots = state.health?.replication_slots ?? state.history?.windows?.at(-1)?.slots ?? [];
  if (slots.length === 0) {
    const row = el('tr');
    row.append(el('td', 'No replication slots.', { colspan: '4' }));
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...slots.map((slot) => {
      const row = el('tr');
      row.append(
        el('td', slot.slot_name),
        el('td', slot.active ? 'yes' : 'no'),
        el('td', slot.wal_status ?? '–'),
        el('td', slot.retained_wal_bytes === null ? '–' : `${slot.retained_wal_bytes} bytes`),
      );
      return row;
    }),
  );
}

function renderEvents() {
  const list = element('#events');
  /** @type {{ at: string, text: string }[]} */
  const items = [];
  for (const failure of failingNow()) {
    items.push({ at: new Date().toISOString(), text: `now: ${failure.type}: ${failure.detail}` });
  }
  for (const window of [...(state.history?.windows ?? [])].reverse()) {
    for (const event of window.events)
      items.push({ at: window.ended_at, text: `${event.type}: ${event.detail}` });
    for (const failure of window.failures) {
      items.push({ at: window.ended_at, text: `${failure.type}: ${failure.detail}` });
    }
  }
  if (items.length === 0) {
    list.replaceChildren(el('li', 'None in the last hour.'));
    return;
  }
  list.replaceChildren(
    ...items.slice(0, 15).map(({ at, text }) => {
      const item = el('li');
      item.append(el('time', clock(at), { datetime: at }), document.createTextNode(text));
      return item;
    }),
  );
}

function renderSummary() {
  const summary = element('#summary');
  const latest = state.history?.windows?.at(-1);
  const replicas = state.health?.replicas?.length ?? state.history?.endpoints.length ?? 0;
  const threshold = state.history?.threshold_ms ?? state.health?.max_lag_ms;
  const parts = [`${replicas} replica endpoint(s) verified`];
  if (threshold !== undefined) parts.push(`threshold ${threshold} ms`);
  if (latest)
    parts.push(`last window ended ${clock(latest.ended_at)} (${latest.ok ? 'ok' : 'failing'})`);
  if (state.health) parts.push(`now ${state.health.status === 'ok' ? 'healthy' : 'unhealthy'}`);
  summary.textContent = parts.join(' · ');
}

function renderBanner() {
  const banner = element('#banner');
  const primaryDown = failingNow().some((f) => f.type === 'primary-unreachable');
  let text = '';
  if (primaryDown || state.historyError === 503) {
    text =
      'The primary is unreachable: sampling windows can be neither stored nor read, so their ' +
      'figures are only in the logs (Cloud Logging, jsonPayload.check="replication").';
  } else if (state.historyError) {
    text = `The history could not be read (HTTP ${state.historyError}).`;
  }
  banner.hidden = text === '';
  banner.textContent = text;
}

function render() {
  renderSummary();
  renderBanner();
  renderReplicas();
  renderSlots();
  renderEvents();
}

async function refreshHealth() {
  try {
    const answer = await getJson('/status/replication');
    // 503 means unhealthy, and still carries every replica.
    const health = answer.ok ? answer.body : healthProblemOf(answer.body);
    if (health?.replicas) state.health = health;
  } catch {
    state.health = null;
  }
  render();
}

async function refreshRunning() {
  try {
    const answer = await getJson('/replication/history?running=only');
    if (!answer.ok || !answer.body) return;
    const now = new Set(answer.body.running.map(windowKey));
    const ended = (state.live?.running ?? []).filter(
      (window) => window.beats_at.length > 0 && !now.has(windowKey(window)),
    );
    state.live = answer.body;
    if (ended.length > 0) {
      // Charted as last seen until the history, read now, holds them.
      state.ended = [...state.ended, ...ended].slice(-10);
      refreshHistory();
    }
    drawChart();
  } catch {
    // The health poll reports an unreachable service.
  }
}

async function refreshHistory() {
  try {
    const answer = await getJson('/replication/history?minutes=60');
    if (answer.ok && answer.body) {
      state.history = answer.body;
      state.historyError = null;
      const stored = new Set((answer.body.windows ?? []).map(windowKey));
      state.ended = state.ended.filter((window) => !stored.has(windowKey(window)));
      drawChart();
    } else {
      // A 2xx that is not JSON: no history was read.
      state.historyError = answer.ok ? 'unreachable' : answer.status;
    }
  } catch {
    state.historyError = 'unreachable';
  }
  render();
}

refreshHistory();
refreshHealth();
setInterval(refreshHealth, HEALTH_MS);
setInterval(refreshRunning, RUNNING_MS);
setInterval(refreshHistory, HISTORY_MS);
window.addEventListener('resize', () => {
  const container = element('#chart');
  state.chart?.setSize({ width: Math.max(320, container.clientWidth), height: 320 });
});
