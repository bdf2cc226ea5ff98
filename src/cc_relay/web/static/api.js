// The admin service's JSON/SSE twin: the only thing this page talks to.
const PREFIX = "/cc_relay.admin.v1.Admin/";

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function decode(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const code = body && body.code ? body.code : `http_${response.status}`;
    const message = body && body.message ? body.message : response.statusText;
    throw new ApiError(code, message, response.status);
  }
  return body;
}

// A unary RPC: POST JSON, the answer in the proto3 JSON mapping.
export async function call(method, request = {}) {
  const response = await fetch(PREFIX + method, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
    credentials: "same-origin",
  });
  return decode(response);
}

// A server-streaming RPC as an EventSource; returns a function that closes it.
export function stream(method, params, onMessage, onState) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== undefined && value !== null) query.set(key, String(value));
  }
  const qs = query.toString();
  const source = new EventSource(PREFIX + method + (qs ? "?" + qs : ""));
  source.onopen = () => onState && onState("live");
  source.onmessage = (event) => onMessage(JSON.parse(event.data));
  source.addEventListener("error", (event) => {
    if (event.data) {
      const error = JSON.parse(event.data);
      onState && onState("error", error.message);
      source.close();
    } else {
      onState && onState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    }
  });
  return () => source.close();
}

export async function session(method, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return decode(await fetch("/ui/session", init));
}

// int64 fields arrive as strings in the proto3 JSON mapping.
export const num = (value) => (value === undefined || value === null ? 0 : Number(value));
