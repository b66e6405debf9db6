// Live charts: the server sends each new sample once; this keeps a bounded window of
// points per chart in the page and hands ECharts only the new data (no re-render of the
// element, no growth). Each sample's event → on-screen delay is kept for measurement.
window.satmonLive = (() => {
  const buffers = new Map();
  const delays = [];
  const MAX_DELAYS = 5000;

  function bufferOf(id, chart) {
    let buffer = buffers.get(id);
    if (!buffer) {
      const option = chart.getOption();
      buffer = ((option.series && option.series[0] && option.series[0].data) || []).slice();
      buffers.set(id, buffer);
    }
    return buffer;
  }

  function push(charts, t, values, maxPoints) {
    let drawn = false;
    for (const [metric, id] of Object.entries(charts)) {
      const value = values[metric];
      const element = getElement(id);
      if (value === undefined || !element || !element.chart) continue;
      const buffer = bufferOf(id, element.chart);
      buffer.push([t, value]);
      if (buffer.length > maxPoints) buffer.splice(0, buffer.length - maxPoints);
      element.chart.setOption({ series: [{ data: buffer }] }, { lazyUpdate: true, silent: true });
      drawn = true;
    }
    if (drawn) {
      requestAnimationFrame(() => {
        delays.push(Date.now() - t);
        if (delays.length > MAX_DELAYS) delays.splice(0, delays.length - MAX_DELAYS);
      });
    }
  }

  function points(id) {
    const buffer = buffers.get(id);
    return buffer ? buffer.length : null;
  }

  return { push, delays, points };
})();
