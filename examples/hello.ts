/// <reference types="@stui/plugins/global" />
// hello.ts: the smallest useful stui script. Pings the server, evaluates an
// expression, and keeps a workspace variable alive between two evaluations.
//
// Permissions: read (ping, opening the session), eval (evaluate).
// Run:  stui run examples/hello.ts --allow-read --allow-eval

const pong = await stui.client.ping({ echo: "hello" });
console.log(`server: ${pong.server.name} ${pong.server.version} (${pong.status}), protocol ${pong.protocolVersions.join(", ")}`);

const sum = await stui.session.evaluate("3 + 4");
console.log(`3 + 4 = ${sum.value.printString} (${sum.value.className})`);

// An undeclared lowercase name assigned to becomes a session variable...
await stui.session.evaluate("total := 3 + 4");
// ...and the next evaluation in the same session still sees it.
const doubled = await stui.session.evaluate("total * 2");
console.log(`total * 2 = ${doubled.value.printString}`);
