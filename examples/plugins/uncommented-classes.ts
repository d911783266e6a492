// uncommented-classes.ts: a plugin that lists the classes of a package that have no
// class comment, page by page through classes.list.
//
// Permissions: read (classes.list).
// Run:  stui run examples/plugins/uncommented-classes.ts --allow-read -- Kernel-Numbers
//       (without --allow-read, a terminal asks once whether to grant the plugin "read")

import { definePlugin } from "@stui/plugins";

const PAGE = 200;
const MAX_PAGES = 100; // 20 000 classes: more than any package has

export default definePlugin({
  name: "uncommented-classes",
  description: "List the classes of a package that have no class comment",
  permissions: ["read"],
  async run(stui) {
    const pkg = stui.args[0];
    if (!pkg) throw new Error("usage: stui run examples/plugins/uncommented-classes.ts --allow-read -- <package>");
    const missing: string[] = [];
    let total = 0;
    for (let page = 0, offset = 0; page < MAX_PAGES; page++) {
      const r = await stui.client.classes.list({ package: pkg, offset, limit: PAGE });
      total = r.total;
      for (const c of r.classes) if (!c.hasComment) missing.push(c.name);
      offset += r.classes.length;
      if (r.classes.length === 0 || offset >= r.total) break;
    }
    console.log(`${pkg}: ${missing.length} of ${total} classes have no comment`);
    for (const name of missing) console.log(`  ${name}`);
  },
});
