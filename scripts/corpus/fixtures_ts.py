"""TypeScript files with real type errors, and small npm projects that fail."""

TS = {
    "models.ts": '''export interface User { id: number; name: string; email?: string; roles: Role[] }
export type Role = "admin" | "viewer" | "editor";

export function makeUser(id: string, name: string): User {
  return { id, name, roles: ["owner"] };
}

export function displayName(u: User): string {
  return u.email.toLowerCase() + " " + u.nam;
}

const users: User[] = [makeUser("1", "ada"), { id: 2, name: "bob" }];
users.push({ id: 3, name: "cy", roles: [], age: 31 });
''',
    "async_ops.ts": '''async function fetchCount(url: string): Promise<number> {
  const res = await fetch(url);
  return res.json().count;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms, "done"));
}

export async function main() {
  const n: string = await fetchCount("http://127.0.0.1:8080/count");
  const total = fetchCount("x") + 1;
  await delay("100");
  for (const x of fetchCount("y")) console.log(x);
}
''',
    "generics.ts": '''export class Stack<T> {
  private items: T[] = [];
  push(x: T): void { this.items.push(x); }
  pop(): T { return this.items.pop(); }
  peek(): T | undefined { return this.items[this.items.length - 1]; }
}

function first<T extends { length: number }>(xs: T[]): T { return xs[0]; }

const s = new Stack<number>();
s.push("1");
const f = first([1, 2, 3]);
const m: Map<string, number> = new Map([["a", "1"]]);
export const keys: number[] = Object.keys({ a: 1 });
''',
    "narrowing.ts": '''type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number } | { kind: "tri"; b: number; h: number };

export function area(s: Shape): number {
  switch (s.kind) {
    case "circle": return Math.PI * s.r ** 2;
    case "square": return s.r * s.r;
  }
}

export function describe(x: string | number | null) {
  return x.toFixed(2);
}

function assertNever(x: never): never { throw new Error("unexpected " + x); }
export function check(s: Shape) { if (s.kind !== "circle") assertNever(s); }
''',
    "imports.ts": '''import { readFileSync } from "fs";
import { parse } from "./does-not-exist";
import lodash from "lodash";
import { Stack, Queue } from "./generics";

const cfg = JSON.parse(readFileSync("cfg.json", "utf8")) as { port: number };
cfg.port = "80";
export default parse(cfg);
''',
    "classes.ts": '''abstract class Animal {
  constructor(protected readonly name: string) {}
  abstract speak(): string;
}

class Dog extends Animal {
  speak() { return this.name + " barks"; }
  rename(n: string) { this.name = n; }
}

class Cat extends Animal {}

const a = new Animal("x");
const d = new Dog();
console.log(d.name);
interface Pet { feed(amount: number): void }
class Fish implements Pet { feed(amount: string) {} }
''',
    "strict_null.ts": '''interface Config { host?: string; port?: number; retries: number }

function connect(host: string, port: number) { return `${host}:${port}`; }

export function open(c: Config) {
  const addr = connect(c.host, c.port);
  const len = c.host.length;
  let maybe: string | undefined;
  maybe.trim();
  const el = [1, 2, 3].find((x) => x > 5);
  return el + len + addr;
}

export function sum(xs) { return xs.reduce((a, b) => a + b); }
''',
    "enums.ts": '''enum Level { Debug, Info, Warn, Error }
const enum Color { Red = "red", Green = "green" }

let l: Level = "Info";
const c: Color = Color.Blue;
const n: number = Level.Warn;
function log(level: Level, msg: string) {}
log(5, 42);
log(Level.Info);
export const names = Object.values(Color).map((x) => x.toUpperCase());
''',
}

TSCONFIG = '''{
  "compilerOptions": {
    "target": "es2020",
    "module": "commonjs",
    "strict": true,
    "noEmit": true,
    "lib": ["es2020", "dom"]
  },
  "include": ["*.ts"]
}
'''

BAD_TSCONFIG = '''{
  "compilerOptions": {
    "target": "es2099",
    "strictest": true,
    "module": "commonjs",
    "noEmit": true,
  },
  "include": ["*.ts"]
}
'''

NODE_TEST = '''const test = require("node:test");
const assert = require("node:assert");

function slugify(s) { return s.trim().toLowerCase().replace(/\\s+/g, "-"); }
function parsePort(s) { const n = Number(s); if (!Number.isInteger(n)) throw new TypeError(`bad port: ${s}`); return n; }

test("slugify collapses spaces", () => {
  assert.strictEqual(slugify("  Hello   World "), "hello-world");
});

test("slugify keeps dashes", () => {
  assert.strictEqual(slugify("a - b"), "a-b");
});

test("parsePort rejects text", () => {
  assert.strictEqual(parsePort("80a"), 80);
});

test("deep config", () => {
  assert.deepStrictEqual({ host: "127.0.0.1", port: 5432, opts: { ssl: false } },
                         { host: "127.0.0.1", port: 5433, opts: { ssl: true } });
});

test("async timeout", async () => {
  await new Promise((r) => setTimeout(r, 5));
  assert.ok([1, 2, 3].includes(4), "list should contain 4");
});
'''

PLAIN_TEST = '''const assert = require("assert");
const { add, mean } = require("./lib");

assert.strictEqual(add(2, 2), 4);
console.log("add ok");
assert.strictEqual(mean([1, 2, 3, 4]), 2.5, "mean of 1..4");
console.log("mean ok");
'''

PLAIN_LIB = '''exports.add = (a, b) => a + b;
exports.mean = (xs) => xs.reduce((a, b) => a + b, 0) / (xs.length - 1);
'''
