//! The demo's shared document and the edits its peers make: a todo list
//! (a list of maps with a title, a done flag and a set of tags), notes
//! typed concurrently, and a counter.

use converge_core::{Transaction, Value};

/// A small deterministic random generator (xorshift64*): the same seed
/// makes the same edits.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // Avoid the all-zero state; spread nearby seeds apart.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "sync", "offline", "merge", "peer", "draft", "notes", "list", "later", "today", "ship",
    "review", "fix", "idea", "plan", "call",
];
const TAGS: &[&str] = &["home", "work", "urgent", "later"];
const TASKS: &[&str] = &[
    "buy milk",
    "water the plants",
    "review the pull request",
    "book the train",
    "call the plumber",
    "write the release notes",
    "back up the laptop",
    "plan the offsite",
];

/// One edit by peer `who`, chosen by `rng`, in transaction `tx`.
pub(crate) fn edit(tx: &mut Transaction<'_>, who: &str, rng: &mut Rng) {
    let roll = rng.below(100);
    let todos = tx.list("todos").len();
    match roll {
        // Type a word into the notes, between two words.
        0..=39 => {
            let mut notes = tx.text("notes");
            let starts = word_starts(&notes.get());
            let pos = starts[rng.below(starts.len())];
            let word = format!("{} ", WORDS[rng.below(WORDS.len())]);
            notes.insert(pos, &word).expect("inside the text");
        }
        // Delete a word of the notes.
        40..=49 => {
            let mut notes = tx.text("notes");
            let text = notes.get();
            let starts = word_starts(&text);
            if starts.len() > 8 {
                let k = rng.below(starts.len() - 1);
                notes
                    .delete(starts[k], starts[k + 1] - starts[k])
                    .expect("inside the text");
            }
        }
        // Add a todo.
        50..=64 => {
            let title = format!("{} ({who})", TASKS[rng.below(TASKS.len())]);
            let tag = TAGS[rng.below(TAGS.len())];
            let mut list = tx.list("todos");
            let mut todo = list.push_map().expect("a new map");
            todo.lww("title").set(title).expect("a title");
            todo.lww("done").set(false).expect("a flag");
            todo.aw_set("tags").insert(tag).expect("a tag");
        }
        // Tick or untick a todo.
        65..=79 if todos > 0 => {
            let i = rng.below(todos);
            let mut list = tx.list("todos");
            let mut todo = list.map(i).expect("todos are maps");
            let done = matches!(todo.lww("done").get(), Some(Value::Bool(true)));
            todo.lww("done").set(!done).expect("a flag");
        }
        // Tag or untag a todo.
        80..=89 if todos > 0 => {
            let i = rng.below(todos);
            let tag = TAGS[rng.below(TAGS.len())];
            let mut list = tx.list("todos");
            let mut todo = list.map(i).expect("todos are maps");
            let mut tags = todo.aw_set("tags");
            if tags.contains(&Value::from(tag)) {
                tags.remove(tag).expect("a tag");
            } else {
                tags.insert(tag).expect("a tag");
            }
        }
        // Remove a done todo now and then.
        90..=92 if todos > 3 => {
            let i = rng.below(todos);
            tx.list("todos").delete(i, 1).expect("inside the list");
        }
        _ => {
            tx.counter("edits seen").add(1).expect("a counter");
        }
    }
}

/// Where words start in `text` (in characters), and its end: the places
/// a word can be typed without splitting another.
fn word_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut prev = ' ';
    let mut len = 0;
    for (i, c) in text.chars().enumerate() {
        if prev == ' ' && c != ' ' && i > 0 {
            starts.push(i);
        }
        prev = c;
        len = i + 1;
    }
    if len > 0 {
        starts.push(len);
    }
    starts
}
