#!/usr/bin/env node
// Checks every link of the book as mdBook rendered it: each relative link must name a file of
// the rendered book, and each #anchor an id in that file. External links (http:, https:,
// mailto:) are listed, never fetched (CI has no network but the package registries).
// Also checks that every chapter with Rust samples is compiled as doctests (book/doctests.rs).
// Usage: node scripts/check-book-links.mjs BOOK_HTML_DIR
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, dirname, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "book/build");
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".html")) files.push(p);
  }
})(root);

const ids = new Map();
function idsOf(file) {
  if (!ids.has(file)) {
    const html = readFileSync(file, "utf8");
    ids.set(file, new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1])));
  }
  return ids.get(file);
}

// mdBook's own pages (the print page repeats every chapter, 404 is a template) are skipped.
const skip = new Set(["print.html", "404.html", "toc.html"]);
const broken = [];
const external = new Set();
let checked = 0;
for (const file of files) {
  if (skip.has(relative(root, file))) continue;
  const html = readFileSync(file, "utf8");
  for (const [, raw] of html.matchAll(/\shref="([^"]*)"/g)) {
    const href = raw.replaceAll("&amp;", "&");
    if (/^(https?:|mailto:)/.test(href)) {
      external.add(href);
      continue;
    }
    if (/^[a-z]+:/.test(href)) continue; // javascript: and the like
    checked++;
    const [path, anchor] = href.split("#", 2);
    const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    const where = relative(root, file);
    if (!existsSync(target)) {
      broken.push(`${where}: ${href}: no such file`);
    } else if (anchor && target.endsWith(".html") && !idsOf(target).has(decodeURIComponent(anchor))) {
      broken.push(`${where}: ${href}: no anchor #${anchor}`);
    }
  }
}

// Every chapter with a Rust sample must be in book/doctests.rs, or its samples go untested.
const bookDir = resolve(new URL("../book", import.meta.url).pathname);
const doctests = readFileSync(join(bookDir, "doctests.rs"), "utf8");
for (const name of readdirSync(join(bookDir, "src")).filter((n) => n.endsWith(".md"))) {
  const md = readFileSync(join(bookDir, "src", name), "utf8");
  if (/^```rust(?!,ignore\b)[^\n]*$/m.test(md) && !doctests.includes(`include_str!("src/${name}")`)) {
    broken.push(`src/${name}: has Rust samples but is not in book/doctests.rs`);
  }
}

console.log(`book links: ${checked} internal links checked in ${files.length} pages; ${external.size} external links listed, not fetched`);
if (broken.length) {
  console.error(broken.join("\n"));
  console.error(`book links: ${broken.length} broken`);
  process.exit(1);
}
