/// <reference types="@stui/plugins/global" />
// Run by bench/host-concurrency.ts through `stui run`: one evaluation of "sleep 50 ms" alone,
// then args[0] of them at once with Promise.all, timed inside the sandbox (no start-up in the
// figures). Prints one JSON line.
const calls = Number(stui.args[0] ?? 50);
const rounds = Number(stui.args[1] ?? 5);
await stui.session.id();
await stui.session.evaluate("sleep 50 ms"); // warm-up
const one: number[] = [];
const all: number[] = [];
for (let i = 0; i < rounds; i++) {
  let t = performance.now();
  await stui.session.evaluate("sleep 50 ms");
  one.push(performance.now() - t);
  t = performance.now();
  await Promise.all(Array.from({ length: calls }, () => stui.session.evaluate("sleep 50 ms")));
  all.push(performance.now() - t);
}
console.log(JSON.stringify({ calls, one, all }));
