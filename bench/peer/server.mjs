// PostGraphile 5 over the `peer` schema (bench/peer/schema.py), as a team would run it:
// the Amber preset with simplified inflection, no GraphiQL, no watch mode. PEER_PROCESSES > 1
// forks that many processes sharing the port (node:cluster).
// Environment: PEER_DATABASE_URL, PORT, PEER_PROCESSES (default 1), PEER_SCHEMA (default
// "peer"; "peer_agency" holds what the benchmark's agency reads).
import cluster from "node:cluster";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";

const processes = Number(process.env.PEER_PROCESSES || "1");
const port = Number(process.env.PORT || "5678");

if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i++) cluster.fork();
  cluster.on("exit", (worker, code) => {
    console.error(`worker ${worker.process.pid} exited with ${code}`);
    process.exit(1);
  });
} else {
  const preset = {
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    pgServices: [
      makePgService({
        connectionString: process.env.PEER_DATABASE_URL,
        schemas: [process.env.PEER_SCHEMA || "peer"],
      }),
    ],
    grafserv: { graphiql: false, watch: false, maxRequestLength: 1000000 },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("error", (e) => {
    console.error(e);
    process.exit(1);
  });
  serv.addTo(server).then(
    () => server.listen(port, "127.0.0.1"),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
