// A hand-drawn SVG sparkline: one polyline over the last values, scaled to the largest.
const NS = "http://www.w3.org/2000/svg";
const W = 160;
const H = 36;

export function sparkline(series, label) {
  // One sample draws as a flat line, not as nothing.
  const values = series.length === 1 ? [series[0], series[0]] : series;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const top = Math.max(...values, 1e-9);
  const step = values.length > 1 ? W / (values.length - 1) : W;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(H - 2 - (v / top) * (H - 4)).toFixed(1)}`);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("class", "spark-line");
  svg.append(line);
  return svg;
}
