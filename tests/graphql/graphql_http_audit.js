// Runs the graphql-http package's server audits against a URL and prints them as JSON lines.
// Usage: node graphql_http_audit.js <node_modules folder> <url>
const path = require("path");
const { serverAudits } = require(path.join(process.argv[2], "graphql-http"));

(async () => {
  const results = [];
  for (const audit of serverAudits({ url: process.argv[3] })) {
    const result = await audit.fn();
    results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason || null });
  }
  process.stdout.write(JSON.stringify(results));
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(2);
});
