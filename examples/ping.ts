// ping.ts: talk to a STUI server straight from Node, no host. Start a server first
// (`npx stui-test-server`, or `npm run pharo` for a real image), then: npm run ping (in this repository)
import { connect } from "@stui/client";
const client = await connect(); // STUI_ENDPOINT, else tcp://127.0.0.1:5555
const pong = await client.ping({ echo: "hello" });
console.log(`${pong.echo} from ${pong.server.name} ${pong.server.version} (${pong.server.implementation}), protocol ${pong.protocolVersions.join(", ")}`);
await client.close();
