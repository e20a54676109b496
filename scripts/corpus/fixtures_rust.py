"""Tiny std-only crates with real compile errors, warnings, failing tests and panics.
Each: (name, {path: source}, cargo subcommand, extra env)."""

CRATES = [
    ("mismatch", {"src/main.rs": '''
fn parse_port(s: &str) -> u16 {
    s.parse().unwrap_or("8080")
}

fn total(xs: &[u32]) -> u64 {
    let mut t = 0u32;
    for x in xs { t += x; }
    t
}

fn main() {
    let port: u16 = parse_port("80");
    let name: String = "kompress";
    println!("{} {} {}", port, name, total(&[1, 2, 3]));
}
'''}, "build", {}),
    ("borrows", {"src/main.rs": '''
#[derive(Debug)]
struct Job { id: u32, tags: Vec<String> }

fn consume(j: Job) -> u32 { j.id }

fn main() {
    let mut jobs = vec![Job { id: 1, tags: vec![] }, Job { id: 2, tags: vec!["x".into()] }];
    let first = &jobs[0];
    jobs.push(Job { id: 3, tags: vec![] });
    println!("{:?}", first);

    let j = Job { id: 4, tags: vec![] };
    let id = consume(j);
    println!("{} {:?}", id, j);

    let mut s = String::from("log");
    let a = &mut s;
    let b = &mut s;
    a.push('1');
    b.push('2');
}
'''}, "build", {}),
    ("warnings", {"src/main.rs": '''
use std::collections::HashMap;
use std::io::{self, Read, Write};

const UNUSED_LIMIT: usize = 10;

struct Metrics { hits: u64, misses: u64 }

fn ratio(m: &Metrics) -> f64 {
    let total = m.hits + m.misses;
    let unused_scale = 100;
    m.hits as f64 / total as f64
}

#[allow(dead_code)]
fn kept() {}

fn never_called(x: i32) -> i32 { x * 2 }

fn main() {
    let mut count = 0;
    let m = Metrics { hits: 3, misses: 1 };
    println!("{:.2}", ratio(&m));
}
'''}, "build", {}),
    ("traits", {"src/main.rs": '''
use std::collections::HashSet;

struct Point { x: i32, y: i32 }

fn show<T: std::fmt::Display>(t: T) -> String { format!("{}", t) }

fn main() {
    let p = Point { x: 1, y: 2 };
    println!("{}", p);
    let mut set = HashSet::new();
    set.insert(Point { x: 0, y: 0 });
    let s = show(vec![1, 2, 3]);
    let total: i32 = vec!["1", "2"].iter().sum();
    println!("{} {}", s, total);
}
'''}, "build", {}),
    ("resolve", {"src/main.rs": '''
use std::collections::BTreeMapp;
use crate::config::Settings;

mod util {
    pub fn helper() -> u8 { 1 }
    fn private_helper() -> u8 { 2 }
}

fn main() {
    let v = util::helper() + util::private_helper();
    let w = undefined_value + v;
    let s = Strng::new();
    println!("{}", w.len_of());
}
'''}, "check", {}),
    ("lifetimes", {"src/lib.rs": '''
pub struct Parser { input: String }

pub fn longest(a: &str, b: &str) -> &str {
    if a.len() > b.len() { a } else { b }
}

pub fn first_word(s: String) -> &'static str {
    s.split(' ').next().unwrap()
}

pub enum Level { Debug, Info, Warn, Error }

pub fn code(l: Level) -> u8 {
    match l {
        Level::Debug => 0,
        Level::Info => 1,
    }
}

impl Parser {
    pub fn peek(&self) -> Option<&char> { self.input.chars().next().as_ref() }
}
'''}, "build", {}),
    ("failing_tests", {"src/lib.rs": '''
pub fn median(xs: &mut Vec<i64>) -> i64 {
    xs.sort();
    xs[xs.len() / 2]
}

pub fn slug(s: &str) -> String {
    s.to_lowercase().replace(' ', "-")
}

pub fn parse_kv(s: &str) -> Result<(String, i32), String> {
    let (k, v) = s.split_once('=').ok_or(format!("no '=' in {:?}", s))?;
    Ok((k.to_string(), v.parse().map_err(|e| format!("bad value {:?}: {}", v, e))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_even() { assert_eq!(median(&mut vec![4, 1, 3, 2]), 2); }

    #[test]
    fn median_odd() { assert_eq!(median(&mut vec![5, 1, 3]), 3); }

    #[test]
    fn slug_spaces() { assert_eq!(slug("Hello  World Again"), "hello-world-again"); }

    #[test]
    fn kv_ok() -> Result<(), String> {
        let (k, v) = parse_kv("retries=x3")?;
        assert_eq!((k.as_str(), v), ("retries", 3));
        Ok(())
    }

    #[test]
    fn empty_median() { median(&mut vec![]); }

    #[test]
    #[should_panic(expected = "out of range")]
    fn should_panic_msg() { let v: Vec<u8> = vec![1]; let _ = v[3]; }

    #[test]
    #[ignore]
    fn slow() {}

    #[test]
    fn ne_check() { assert_ne!(slug("a"), "a", "slug must change {}", "a"); }
}
'''}, "test", {}),
    ("panics", {"src/main.rs": '''
use std::collections::HashMap;

fn lookup(m: &HashMap<&str, u32>, k: &str) -> u32 {
    *m.get(k).expect("key must be configured")
}

fn main() {
    let mut m = HashMap::new();
    m.insert("workers", 4);
    let args: Vec<String> = std::env::args().collect();
    println!("workers={}", lookup(&m, "workers"));
    let idx = args.len() + 6;
    let data = vec![1u8, 2, 3];
    if args.len() > 5 { println!("{}", data[idx]); }
    println!("timeout={}", lookup(&m, "timeout_ms"));
}
'''}, "run", {"RUST_BACKTRACE": "1"}),
    ("overflow", {"src/lib.rs": '''
pub fn checked_mul_all(xs: &[u8]) -> u8 {
    xs.iter().fold(1u8, |a, b| a * b)
}

pub fn div(a: i32, b: i32) -> i32 { a / b }

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn mul_overflows() { assert_eq!(checked_mul_all(&[16, 16, 2]), 0); }
    #[test]
    fn small() { assert_eq!(checked_mul_all(&[2, 3]), 6); }
    #[test]
    fn zero_div() { assert_eq!(div(1, 0), 0); }
    #[test]
    fn unwrap_none() { let v: Option<u8> = None; assert_eq!(v.unwrap(), 1); }
    #[test]
    fn float_cmp() { assert_eq!(0.1f64 + 0.2, 0.3, "floats differ: {}", 0.1f64 + 0.2); }
}
'''}, "test", {}),
    ("methods", {"src/main.rs": '''
mod store {
    pub struct Store { items: Vec<u32>, pub name: String }
    impl Store {
        pub fn new(name: &str) -> Self { Store { items: Vec::new(), name: name.to_string() } }
        pub fn add(&mut self, x: u32) { self.items.push(x) }
    }
}

fn main() {
    let s = store::Store::new("jobs");
    s.add(1);
    s.add(2, 3);
    println!("{}", s.items.len());
    let n: usize = s.name.length();
    let o = store::Store { items: vec![], name: String::new() };
}
'''}, "check", {}),
    ("doctests", {"src/lib.rs": '''
//! Helpers with documented examples.

/// Clamps a percentage.
///
/// ```
/// assert_eq!(doctests::clamp_pct(150), 100);
/// assert_eq!(doctests::clamp_pct(-3), 0);
/// ```
pub fn clamp_pct(x: i32) -> i32 { x.max(0).min(99) }

/// Joins words.
///
/// ```
/// let s = doctests::join(&["a", "b"]);
/// assert_eq!(s, "a b");
/// ```
pub fn join(w: &[&str]) -> String { w.join(" ") }

/// Broken example.
///
/// ```
/// let n: u8 = doctests::count("abc");
/// ```
pub fn count(s: &str) -> usize { s.len() }
'''}, "test", {}),
    ("manifest", {"Cargo.toml": '''[package]
name = "manifest"
version = "0.1.0"
edition = "2021"

[dependencies]
kompress-corpus-nonexistent-dep = "0.3"
''', "src/main.rs": "fn main() {}\n"}, "build", {}),
    ("clippy_lints", {"src/main.rs": '''
fn sum_len(v: &Vec<String>) -> usize {
    let mut total = 0;
    for i in 0..v.len() {
        total = total + v[i].len();
    }
    return total;
}

fn is_empty_str(s: &String) -> bool { s.len() == 0 }

fn main() {
    let v = vec![String::from("a"), String::from("bb")];
    let x = 5;
    if x == 5 { println!("{}", true == is_empty_str(&v[0])); }
    let _c = v.iter().map(|s| s.clone()).collect::<Vec<_>>().len();
    println!("{}", sum_len(&v));
}
'''}, "clippy", {}),
    ("async_like", {"src/main.rs": '''
use std::sync::{Arc, Mutex};
use std::thread;
use std::rc::Rc;

fn main() {
    let counter = Rc::new(Mutex::new(0));
    let mut handles = vec![];
    for _ in 0..4 {
        let c = Rc::clone(&counter);
        handles.push(thread::spawn(move || { *c.lock().unwrap() += 1; }));
    }
    let data = vec![1, 2, 3];
    let h = thread::spawn(|| println!("{:?}", data));
    h.join().unwrap();
    let shared = Arc::new(5);
    let r: &mut i32 = Arc::get_mut(&shared).unwrap();
    *r += 1;
}
'''}, "build", {}),
]
