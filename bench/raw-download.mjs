// Baseline: the raw download rate of a usage query's pages, following nextLink over one keep-alive
// connection and discarding each body after finding its nextLink. Prints one JSON line: rows (counted from
// the bodies' "meterId" occurrences), seconds, rows/s.
import https from "node:https";
import { readFileSync } from "node:fs";

const [url, token, ca] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(ca) });
const get = (link) => new Promise((resolve, reject) => {
  https.get(link, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
    const chunks = [];
    res.on("data", (c) => chunks.push(c));
    res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
  }).on("error", reject);
});
const started = process.hrtime.bigint();
let rows = 0;
let next = url;
while (next) {
  const body = await get(next);
  const text = body.toString("latin1");
  rows += text.split('"meterId"').length - 1;
  const link = /"nextLink"\s*:\s*"([^"]*)"/.exec(text);
  next = link ? JSON.parse(`"${link[1]}"`) : null;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ rows, seconds: +seconds.toFixed(3), rows_per_second: Math.round(rows / seconds) }));
agent.destroy();
